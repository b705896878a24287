#pragma once
// What an outbox holds, without the payloads: seq, priority, size and age of every row,
// and the retention policy over them. Both outboxes plan with it first (which rows to
// evict), commit to their store, and then apply the plan here, so the policy and its
// counters are written once and a failed commit changes nothing.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "tidewire/firmware/outbox.hpp"

namespace tidewire::firmware {

class OutboxIndex {
 public:
  struct Row {
    v1::Priority priority = v1::PRIORITY_NORMAL;
    uint64_t bytes = 0;
    int64_t created_ms = 0;
  };

  explicit OutboxIndex(MetricsRegistry& metrics) : metrics_(metrics) {}

  // Rows to evict so that a newcomer of `bytes` at `priority` fits under max_bytes: LOW
  // first, then NORMAL, then HIGH, oldest first, never one ranked above the newcomer.
  // nullopt when even that is not enough (the newcomer is refused).
  std::optional<std::vector<uint64_t>> plan_room(uint64_t bytes, v1::Priority priority, uint64_t max_bytes) const;
  // Rows created at or before now_ms - max_age_ms.
  std::vector<uint64_t> plan_expiry(int64_t now_ms, int64_t max_age_ms) const;

  // Apply, after the store committed.
  void add(uint64_t seq, const Row& row);
  void drop(const std::vector<uint64_t>& seqs, DropReason reason);
  // Counts a newcomer that was refused for lack of room.
  void refuse(v1::Priority priority);
  size_t ack_up_to(uint64_t seq);

  bool holds(uint64_t seq) const { return rows_.count(seq) != 0; }
  bool empty() const { return rows_.empty(); }
  uint64_t lowest() const { return rows_.empty() ? 0 : rows_.begin()->first; }
  uint64_t highest() const { return rows_.empty() ? 0 : rows_.rbegin()->first; }
  const OutboxStats& stats() const { return stats_; }

 private:
  void erase(uint64_t seq);

  std::map<uint64_t, Row> rows_;
  // Seqs per priority rank (LOW, NORMAL, HIGH), oldest first.
  std::array<std::set<uint64_t>, kPriorityRanks> by_rank_;
  OutboxStats stats_;
  OutboxMetrics metrics_;
};

}  // namespace tidewire::firmware

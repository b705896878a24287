#pragma once
// An outbox in memory, with the same bounds and drop policy as SqliteOutbox. The
// simulator runs thousands of virtual devices in one process; their outboxes must not
// cost a database each. Nothing survives the process (counters included).
#include <deque>
#include <map>
#include <string>
#include <unordered_map>

#include "tidewire/common/clock.hpp"
#include "tidewire/firmware/outbox.hpp"
#include "tidewire/firmware/outbox_index.hpp"

namespace tidewire::firmware {

class MemoryOutbox final : public Outbox {
 public:
  MemoryOutbox(OutboxLimits limits, Clock& clock, MetricsRegistry& metrics);

  // Interface: Outbox
  Expected<uint64_t> append(OutboxEntry entry) override;
  Expected<std::vector<OutboxRecord>> pending(uint64_t after_seq, size_t limit) override;
  Expected<size_t> ack_up_to(uint64_t seq) override;
  Expected<size_t> expire() override;
  uint64_t floor_seq() const override;
  uint64_t last_seq() const override { return last_seq_; }
  Expected<uint64_t> next_session_seq() override { return ++session_seq_; }
  std::optional<RememberedResult> recall_result(const std::string& command_id) const override;
  OutboxStats stats() const override { return index_.stats(); }

 private:
  void remove_payloads(const std::vector<uint64_t>& seqs);

  OutboxLimits limits_;
  Clock& clock_;
  OutboxIndex index_;
  std::map<uint64_t, OutboxRecord> records_;
  uint64_t last_seq_ = 0;
  uint64_t session_seq_ = 0;
  std::unordered_map<std::string, RememberedResult> results_;
  std::deque<std::string> result_order_;  // oldest first, for the bound
};

}  // namespace tidewire::firmware

#include "tidewire/firmware/outbox_index.hpp"

namespace tidewire::firmware {

const char* drop_reason_name(DropReason reason) {
  switch (reason) {
    case DropReason::kFull: return "full";
    case DropReason::kAge: return "age";
  }
  return "?";
}

size_t priority_rank(v1::Priority priority) {
  switch (priority) {
    case v1::PRIORITY_LOW: return 0;
    case v1::PRIORITY_HIGH: return 2;
    default: return 1;  // NORMAL, and anything unknown is treated as NORMAL
  }
}

v1::Priority priority_of_rank(size_t rank) {
  switch (rank) {
    case 0: return v1::PRIORITY_LOW;
    case 2: return v1::PRIORITY_HIGH;
    default: return v1::PRIORITY_NORMAL;
  }
}

const char* priority_label(v1::Priority priority) {
  switch (priority_rank(priority)) {
    case 0: return "low";
    case 2: return "high";
    default: return "normal";
  }
}

uint64_t OutboxStats::dropped_total() const {
  uint64_t n = 0;
  for (const auto& per_reason : dropped)
    for (uint64_t v : per_reason) n += v;
  return n;
}

OutboxMetrics::OutboxMetrics(MetricsRegistry& r)
    : rows_(r.gauge("tw_agent_outbox_rows", "Events and results held in device outboxes")),
      bytes_(r.gauge("tw_agent_outbox_bytes", "Bytes held in device outboxes")),
      appended_(r.counter("tw_agent_outbox_appended_total", "Messages appended to device outboxes")),
      acked_(r.counter("tw_agent_outbox_acked_total", "Outbox rows deleted because the edge acked them")) {
  for (size_t rank = 0; rank < kPriorityRanks; ++rank) {
    for (size_t reason = 0; reason < kDropReasons; ++reason) {
      dropped_[rank][reason] =
          &r.counter("tw_agent_outbox_dropped_total", "Outbox rows given up by the device, by priority and reason",
                     {{"priority", priority_label(priority_of_rank(rank))},
                      {"reason", drop_reason_name(static_cast<DropReason>(reason))}});
    }
  }
}

void OutboxMetrics::appended(uint64_t bytes) {
  appended_.inc();
  rows_.add(1);
  bytes_.add(static_cast<int64_t>(bytes));
}

void OutboxMetrics::removed(uint64_t rows, uint64_t bytes) {
  rows_.add(-static_cast<int64_t>(rows));
  bytes_.add(-static_cast<int64_t>(bytes));
}

void OutboxMetrics::acked(uint64_t rows) {
  acked_.inc(rows);
}

void OutboxMetrics::dropped(v1::Priority priority, DropReason reason) {
  dropped_[priority_rank(priority)][static_cast<size_t>(reason)]->inc();
}

std::optional<std::vector<uint64_t>> OutboxIndex::plan_room(uint64_t bytes, v1::Priority priority,
                                                            uint64_t max_bytes) const {
  std::vector<uint64_t> victims;
  if (bytes > max_bytes) return std::nullopt;
  uint64_t held = stats_.bytes;
  size_t newcomer_rank = priority_rank(priority);
  for (size_t rank = 0; rank <= newcomer_rank && held + bytes > max_bytes; ++rank) {
    for (uint64_t seq : by_rank_[rank]) {
      if (held + bytes <= max_bytes) break;
      held -= rows_.at(seq).bytes;
      victims.push_back(seq);
    }
  }
  if (held + bytes > max_bytes) return std::nullopt;
  return victims;
}

std::vector<uint64_t> OutboxIndex::plan_expiry(int64_t now_ms, int64_t max_age_ms) const {
  std::vector<uint64_t> out;
  if (max_age_ms <= 0) return out;  // no age bound configured
  // Seq order is append order, so the oldest rows come first; a row appended after a
  // backwards wall-clock step may hide older ones until it expires itself, which only
  // delays an age drop, never loses a fresh row.
  for (const auto& [seq, row] : rows_) {
    if (now_ms - row.created_ms < max_age_ms) break;
    out.push_back(seq);
  }
  return out;
}

void OutboxIndex::add(uint64_t seq, const Row& row) {
  rows_[seq] = row;
  by_rank_[priority_rank(row.priority)].insert(seq);
  stats_.rows++;
  stats_.bytes += row.bytes;
  stats_.appended++;
  metrics_.appended(row.bytes);
}

void OutboxIndex::erase(uint64_t seq) {
  auto it = rows_.find(seq);
  if (it == rows_.end()) return;
  by_rank_[priority_rank(it->second.priority)].erase(seq);
  stats_.rows--;
  stats_.bytes -= it->second.bytes;
  metrics_.removed(1, it->second.bytes);
  rows_.erase(it);
}

void OutboxIndex::drop(const std::vector<uint64_t>& seqs, DropReason reason) {
  for (uint64_t seq : seqs) {
    auto it = rows_.find(seq);
    if (it == rows_.end()) continue;
    v1::Priority p = it->second.priority;
    erase(seq);
    stats_.dropped[priority_rank(p)][static_cast<size_t>(reason)]++;
    metrics_.dropped(p, reason);
  }
}

void OutboxIndex::refuse(v1::Priority priority) {
  stats_.dropped[priority_rank(priority)][static_cast<size_t>(DropReason::kFull)]++;
  metrics_.dropped(priority, DropReason::kFull);
}

size_t OutboxIndex::ack_up_to(uint64_t seq) {
  size_t n = 0;
  while (!rows_.empty() && rows_.begin()->first <= seq) {
    erase(rows_.begin()->first);
    ++n;
  }
  stats_.acked += n;
  metrics_.acked(n);
  return n;
}

}  // namespace tidewire::firmware

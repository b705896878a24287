#include "tidewire/firmware/memory_outbox.hpp"

namespace tidewire::firmware {

MemoryOutbox::MemoryOutbox(OutboxLimits limits, Clock& clock, MetricsRegistry& metrics)
    : limits_(limits), clock_(clock), index_(metrics) {}

Expected<uint64_t> MemoryOutbox::append(OutboxEntry entry) {
  uint64_t bytes = entry.envelope.size();
  auto victims = index_.plan_room(bytes, entry.priority, limits_.max_bytes);
  if (!victims) {
    index_.refuse(entry.priority);
    return make_error(ErrorCode::kTooLarge, "outbox full of higher-priority rows (" +
                                                std::to_string(index_.stats().bytes) + " of " +
                                                std::to_string(limits_.max_bytes) + " bytes held)");
  }
  remove_payloads(*victims);
  index_.drop(*victims, DropReason::kFull);

  uint64_t seq = ++last_seq_;
  int64_t now = clock_.wall_ms();
  index_.add(seq, {entry.priority, bytes, now});
  if (!entry.command_id.empty()) {
    if (results_.count(entry.command_id) == 0) result_order_.push_back(entry.command_id);
    results_[entry.command_id] = {seq, entry.envelope};
    while (result_order_.size() > limits_.remembered_results) {
      results_.erase(result_order_.front());
      result_order_.pop_front();
    }
  }
  records_[seq] = {seq, entry.priority, entry.channel, now, std::move(entry.envelope)};
  return seq;
}

Expected<std::vector<OutboxRecord>> MemoryOutbox::pending(uint64_t after_seq, size_t limit) {
  std::vector<OutboxRecord> out;
  for (auto it = records_.upper_bound(after_seq); it != records_.end() && out.size() < limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

Expected<size_t> MemoryOutbox::ack_up_to(uint64_t seq) {
  records_.erase(records_.begin(), records_.upper_bound(seq));
  return index_.ack_up_to(seq);
}

Expected<size_t> MemoryOutbox::expire() {
  auto old = index_.plan_expiry(clock_.wall_ms(), limits_.max_age_ms);
  remove_payloads(old);
  index_.drop(old, DropReason::kAge);
  return old.size();
}

uint64_t MemoryOutbox::floor_seq() const {
  return index_.empty() ? last_seq_ + 1 : index_.lowest();
}

std::optional<RememberedResult> MemoryOutbox::recall_result(const std::string& command_id) const {
  auto it = results_.find(command_id);
  if (it == results_.end()) return std::nullopt;
  return it->second;
}

void MemoryOutbox::remove_payloads(const std::vector<uint64_t>& seqs) {
  for (uint64_t seq : seqs) records_.erase(seq);
}

}  // namespace tidewire::firmware

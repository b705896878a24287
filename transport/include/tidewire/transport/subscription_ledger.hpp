#pragma once
// The backends' bookkeeping of SUBACKs (transport.hpp's contract): which SUBSCRIBE asked
// for what, and which filters the broker refused (0x80) or granted at a lower QoS. A
// refusal is silent in MQTT — the client is connected and simply never hears the topic —
// so it is logged, counted and kept for readiness here. Thread-safe; its lock is a leaf
// (taken inside a backend's own lock, never the other way round).
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tidewire/transport/transport.hpp"
#include "tidewire/transport/transport_metrics.hpp"

namespace tidewire::transport {

class SubscriptionLedger {
 public:
  SubscriptionLedger(const TransportMetrics& metrics, const char* log_tag) : metrics_(metrics), log_tag_(log_tag) {}

  // A SUBSCRIBE for one filter went out under `id` (packet id or call context).
  void sent(uint64_t id, const std::string& filter, int qos);
  // Its SUBACK's code: the granted QoS, or 0x80 (any code >= 0x80 is a refusal). An answer
  // that overtakes sent() (the reply raced the caller) is held until sent() comes.
  void answered(uint64_t id, int granted);
  // The connection dropped: SUBACKs still awaited will never come (subscriptions are
  // re-sent on the next connection). The refused list stays until a SUBACK clears it.
  void connection_lost();
  std::vector<RefusedSubscription> refused() const;

 private:
  void judge_locked(const std::string& filter, int requested, int granted);

  const TransportMetrics& metrics_;
  const char* log_tag_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, std::pair<std::string, int>> awaiting_;
  std::unordered_map<uint64_t, int> early_;
  std::vector<RefusedSubscription> refused_;
};

}  // namespace tidewire::transport

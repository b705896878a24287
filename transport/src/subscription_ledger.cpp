#include "tidewire/transport/subscription_ledger.hpp"

#include <algorithm>

#include "tidewire/common/log.hpp"

namespace tidewire::transport {

void SubscriptionLedger::sent(uint64_t id, const std::string& filter, int qos) {
  std::lock_guard lock(mu_);
  if (auto early = early_.find(id); early != early_.end()) {
    int granted = early->second;
    early_.erase(early);
    judge_locked(filter, qos, granted);
    return;
  }
  awaiting_[id] = {filter, qos};
}

void SubscriptionLedger::answered(uint64_t id, int granted) {
  std::lock_guard lock(mu_);
  auto it = awaiting_.find(id);
  if (it == awaiting_.end()) {
    early_[id] = granted;
    return;
  }
  auto [filter, requested] = std::move(it->second);
  awaiting_.erase(it);
  judge_locked(filter, requested, granted);
}

void SubscriptionLedger::judge_locked(const std::string& filter, int requested, int granted) {
  auto it = std::find_if(refused_.begin(), refused_.end(), [&](const auto& r) { return r.filter == filter; });
  bool refused = granted >= kSubackFailure;
  if (!refused && granted >= requested) {
    if (it != refused_.end()) {
      TW_INFO(log_tag_, "the broker now grants the subscription " << filter << " (QoS " << granted << ")");
      refused_.erase(it);
    }
    return;
  }
  RefusedSubscription r{filter, requested, granted};
  (refused ? metrics_.subscribe_refused : metrics_.subscribe_downgraded)->inc();
  TW_WARN(log_tag_, (refused ? "the broker refused the subscription " : "the broker downgraded the subscription ")
                        << describe({r})
                        << (refused ? ": nothing on it will arrive (broker ACL, or a filter the broker cannot serve)"
                                    : ": messages on it lose their delivery guarantee"));
  if (it != refused_.end()) {
    *it = r;
  } else {
    refused_.push_back(r);
  }
}

void SubscriptionLedger::connection_lost() {
  std::lock_guard lock(mu_);
  awaiting_.clear();
  early_.clear();
}

std::vector<RefusedSubscription> SubscriptionLedger::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

}  // namespace tidewire::transport

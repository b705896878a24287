#pragma once
// An UpdatePublisher that records the order updates the Dispatcher publishes.
#include <string>
#include <vector>

#include "tidewire/dispatch/dispatcher.hpp"

namespace tidewire::dispatch::testing {

class FakeUpdates final : public UpdatePublisher {
 public:
  struct Update {
    Audience audience;
    std::string recipient;
    v1::OrderUpdate update;
  };
  Status publish(Audience audience, const std::string& recipient, const v1::OrderUpdate& update) override {
    updates.push_back({audience, recipient, update});
    return {};
  }
  bool has(Audience audience, const std::string& recipient, const std::string& event) const {
    for (const auto& u : updates)
      if (u.audience == audience && u.recipient == recipient && u.update.event() == event) return true;
    return false;
  }
  std::vector<Update> updates;
};

}  // namespace tidewire::dispatch::testing

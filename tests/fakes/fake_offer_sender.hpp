#pragma once
// An OfferSender that records the offers and cancels the Dispatcher sends, and answers
// each offer with a command id "cmd-<n>".
#include <string>
#include <utility>
#include <vector>

#include "tidewire/dispatch/dispatcher.hpp"

namespace tidewire::dispatch::testing {

class FakeOfferSender final : public OfferSender {
 public:
  struct Sent {
    std::string rider_id;
    v1::Offer offer;
    std::string command_id;
  };
  Expected<std::string> send_offer(const std::string& rider_id, const v1::Offer& offer) override {
    std::string id = "cmd-" + std::to_string(sent.size() + 1);
    sent.push_back({rider_id, offer, id});
    return id;
  }
  Status send_cancel(const std::string& rider_id, const std::string& order_id) override {
    cancels.emplace_back(rider_id, order_id);
    return {};
  }
  std::vector<Sent> sent;
  std::vector<std::pair<std::string, std::string>> cancels;  // rider, order
};

}  // namespace tidewire::dispatch::testing

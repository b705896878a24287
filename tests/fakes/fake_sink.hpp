#pragma once
// An AlertSink (cloud::Notifier) that records the pushes the alert engine hands it, and can
// be told to refuse the next ones as unavailable (retried) or invalid (dropped).
#include <string>
#include <vector>

#include "tidewire/alerts/alert_engine.hpp"

namespace tidewire::alerts::testing {

class FakeSink final : public AlertSink {
 public:
  struct Sent {
    v1::PushRequest request;
    std::string key;
  };
  // cloud::Notifier
  Status notify(const v1::PushRequest& request, const std::string& key) override {
    attempts.push_back(key);
    if (refuse_next > 0) {
      --refuse_next;
      return make_error(ErrorCode::kUnavailable, "push service not reachable");
    }
    if (invalid_next > 0) {
      --invalid_next;
      return make_error(ErrorCode::kInvalidArgument, "no recipient 'gone'", "unknown_recipient");
    }
    sent.push_back({request, key});
    return {};
  }
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& s : sent) out.push_back(s.key);
    return out;
  }
  std::vector<Sent> sent;
  std::vector<std::string> attempts;
  int refuse_next = 0;   // answered kUnavailable (retried)
  int invalid_next = 0;  // answered kInvalidArgument (dropped)
};

}  // namespace tidewire::alerts::testing

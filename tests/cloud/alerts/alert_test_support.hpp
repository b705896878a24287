#pragma once
// Fakes and builders for the alert tests: a sink that records (or refuses) pushes, fleet
// snapshots built by hand, rules from JSON, one SQLite file per test.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/cloud/cloud_test_support.hpp"
#include "tidewire/alerts/alert_engine.hpp"
#include "tidewire/alerts/alert_rule.hpp"

namespace tidewire::alerts::testing {

using cloud::testing::kT0;
using cloud::testing::temp_db_path;

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

inline AlertRule rule(const std::string& json) {
  auto parsed = parse_rule_json(json, RuleSource::kFile);
  EXPECT_TRUE(parsed.rule) << parsed.error.reason << ": " << parsed.error.message;
  return parsed.rule ? *parsed.rule : AlertRule{};
}

inline DeviceState device(const std::string& id, v1::DeviceKind kind, const std::string& site, bool online,
                          int64_t last_seen_ms) {
  DeviceState d;
  d.device_id = id;
  d.kind = kind;
  d.site = site;
  d.online = online;
  d.last_seen_ms = last_seen_ms;
  return d;
}

inline DeviceState encoder(const std::string& id, uint32_t bitrate_kbps, bool online = true,
                           const std::string& site = "site-1") {
  auto d = device(id, v1::DEVICE_KIND_ENCODER, site, online, kT0);
  v1::Status s;
  s.mutable_encoder()->set_bitrate_kbps(bitrate_kbps);
  s.mutable_encoder()->set_state(v1::ENCODER_STATE_LIVE);
  d.status = s;
  return d;
}

// What the AlertRunner does with the engine's output, without the registry.
inline std::vector<std::string> deliver(AlertEngine& engine, const FleetSnapshot& fleet, int64_t now_ms,
                                        FakeSink& sink) {
  std::vector<std::string> keys;
  for (const auto& n : engine.evaluate(fleet, now_ms)) {
    keys.push_back(n.idempotency_key);
    if (sink.notify(n.request, n.idempotency_key)) {
      EXPECT_TRUE(engine.mark_sent(n));
    }
  }
  return keys;
}

}  // namespace tidewire::alerts::testing

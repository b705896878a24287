#pragma once
// Builders for the alert tests: fleet snapshots built by hand, rules from JSON, one SQLite
// file per test; the sink that records (or refuses) pushes is tests/fakes/fake_sink.hpp.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/cloud/cloud_test_support.hpp"
#include "tests/fakes/fake_sink.hpp"
#include "tidewire/alerts/alert_engine.hpp"
#include "tidewire/alerts/alert_rule.hpp"

namespace tidewire::alerts::testing {

using cloud::testing::kT0;
using cloud::testing::temp_db_path;

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

#pragma once
// The alert rules HTTP API (docs/alerts.md), installed on the cloud's router:
//   POST   /v1/alert-rules       one rule as JSON -> 201 (created) / 200 (same rule again)
//   GET    /v1/alert-rules       AlertRuleList: {"rules": [rule with "open_incidents"]}
//   DELETE /v1/alert-rules/{id}  -> 200 AlertRuleDeleted; 404 unknown; 409 a rules-file rule
// Bodies are tidewire.v1.AlertRule (alerts.proto) through protobuf's JSON mapping; errors
// are the cloud's ErrorBody (tidewire/cloud/http_json.hpp) with the rule error's reason
// (invalid_json, unknown_type, unknown_field, bad_duration, no_recipients, ...); every
// refusal counts in tw_alert_rule_rejects_total{source="api",reason}.
#include <string>

#include "http/router.hpp"
#include "tidewire/alerts/alert_engine.hpp"
#include "tidewire/common/metrics.hpp"

namespace tidewire::alerts {

class AlertApi {
 public:
  AlertApi(AlertEngine& engine, MetricsRegistry& metrics) : engine_(engine), metrics_(metrics) {}
  Status install(http::Router& router);

  // The handlers, callable without a server (tests).
  http::Response post_rule(const std::string& body);
  http::Response list_rules();
  http::Response delete_rule(const std::string& rule_id);

 private:
  http::Response refuse(const Error& error);

  AlertEngine& engine_;
  MetricsRegistry& metrics_;
};

// Counts a refused rule from `source` ("api" or "file").
void count_rule_reject(MetricsRegistry& metrics, const std::string& source, const std::string& reason);

}  // namespace tidewire::alerts

#include "tidewire/alerts/alert_api.hpp"

namespace tidewire::alerts {

void count_rule_reject(MetricsRegistry& metrics, const std::string& source, const std::string& reason) {
  metrics
      .counter("tw_alert_rule_rejects_total", "Alert rules refused, by source (api|file) and reason",
               {{"source", source}, {"reason", reason}})
      .inc();
}

Status AlertApi::install(http::Router& router) {
  if (auto st = router.add("POST", "/v1/alert-rules", [this](const http::Request& r) { return post_rule(r.body); });
      !st) {
    return st;
  }
  if (auto st = router.add("GET", "/v1/alert-rules", [this](const http::Request&) { return list_rules(); }); !st) {
    return st;
  }
  return router.add("DELETE", "/v1/alert-rules/{id}",
                    [this](const http::Request& r) { return delete_rule(r.params.at("id")); });
}

http::Response AlertApi::refuse(int status, const std::string& reason, const std::string& message) {
  count_rule_reject(metrics_, "api", reason);
  return http::error_response(status, reason, message);
}

http::Response AlertApi::post_rule(const std::string& body) {
  auto parsed = parse_rule_json(body, RuleSource::kApi);
  if (!parsed.rule) return refuse(400, parsed.error.reason, parsed.error.message);
  auto added = engine_.add_rule(*parsed.rule);
  if (!added) {
    switch (added.error().code) {
      case ErrorCode::kConflict: return refuse(409, "conflict", added.error().message);
      case ErrorCode::kInvalidArgument: return refuse(400, "invalid_argument", added.error().message);
      default: return refuse(500, "store_failed", added.error().message);
    }
  }
  return http::Response::json(*added ? 201 : 200, rule_to_json(*parsed.rule));
}

http::Response AlertApi::list_rules() {
  std::string out = "{\"rules\":[";
  bool first = true;
  for (const auto& view : engine_.rules()) {
    std::string rule = rule_to_json(view.rule);
    rule.pop_back();  // the closing brace: one more key follows
    out += (first ? "" : ",") + rule + ",\"open_incidents\":" + std::to_string(view.open_incidents) + "}";
    first = false;
  }
  out += "]}";
  return http::Response::json(200, std::move(out));
}

http::Response AlertApi::delete_rule(const std::string& rule_id) {
  if (auto st = engine_.remove_rule(rule_id); !st) {
    switch (st.error().code) {
      case ErrorCode::kNotFound: return refuse(404, "not_found", st.error().message);
      case ErrorCode::kConflict: return refuse(409, "conflict", st.error().message);
      default: return refuse(500, "store_failed", st.error().message);
    }
  }
  return http::Response::json(200, "{\"deleted\":" + http::json_quote(rule_id) + "}");
}

}  // namespace tidewire::alerts

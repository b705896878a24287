#include "tidewire/alerts/alert_api.hpp"

#include "tidewire/cloud/http_json.hpp"

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

http::Response AlertApi::refuse(const Error& error) {
  count_rule_reject(metrics_, "api", error.reason);
  return cloud::http_json::error(error);
}

http::Response AlertApi::post_rule(const std::string& body) {
  auto parsed = parse_rule_json(body, RuleSource::kApi);
  if (!parsed.rule) {
    return refuse(make_error(ErrorCode::kInvalidArgument, parsed.error.message, parsed.error.reason));
  }
  auto added = engine_.add_rule(*parsed.rule);
  if (!added) return refuse(added.error());
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
  if (auto st = engine_.remove_rule(rule_id); !st) return refuse(st.error());
  return http::Response::json(200, "{\"deleted\":" + http::json_quote(rule_id) + "}");
}

}  // namespace tidewire::alerts

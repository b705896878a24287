#include "tidewire/alerts/alert_api.hpp"

#include "tidewire/cloud/http_json.hpp"
#include "tidewire/cloud/scopes.hpp"
#include "tidewire/protocols/json.hpp"
#include "tidewire/v1/alerts.pb.h"

namespace tidewire::alerts {

namespace http_json = cloud::http_json;

void count_rule_reject(MetricsRegistry& metrics, const std::string& source, const std::string& reason) {
  metrics
      .counter("tw_alert_rule_rejects_total", "Alert rules refused, by source (api|file) and reason",
               {{"source", source}, {"reason", reason}})
      .inc();
}

Status AlertApi::install(http::Router& router) {
  const http::Access operators = http::Access::to({cloud::scope::kOperator});
  if (auto st = router.add("POST", "/v1/alert-rules", operators, [this](const http::Request& r) { return post_rule(r.body); });
      !st) {
    return st;
  }
  if (auto st = router.add("GET", "/v1/alert-rules", operators, [this](const http::Request&) { return list_rules(); }); !st) {
    return st;
  }
  return router.add("DELETE", "/v1/alert-rules/{id}", operators,
                    [this](const http::Request& r) { return delete_rule(r.params.at("id")); });
}

http::Response AlertApi::refuse(const Error& error) {
  count_rule_reject(metrics_, "api", error.reason);
  return http_json::error(error);
}

http::Response AlertApi::post_rule(const std::string& body) {
  auto parsed = parse_rule_json(body, RuleSource::kApi);
  if (!parsed.rule) return refuse(parsed.error);
  auto added = engine_.add_rule(*parsed.rule);
  if (!added) return refuse(added.error());
  return http_json::message(*added ? 201 : 200, to_proto(*parsed.rule));
}

http::Response AlertApi::list_rules() {
  v1::AlertRuleList list;
  for (const auto& view : engine_.rules()) {
    auto* rule = list.add_rules();
    *rule = to_proto(view.rule);
    rule->set_open_incidents(protocols::count32(view.open_incidents));
  }
  return http_json::message(200, list);
}

http::Response AlertApi::delete_rule(const std::string& rule_id) {
  if (auto st = engine_.remove_rule(rule_id); !st) return refuse(st.error());
  v1::AlertRuleDeleted deleted;
  deleted.set_deleted(rule_id);
  return http_json::message(200, deleted);
}

}  // namespace tidewire::alerts

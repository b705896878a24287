#include "tidewire/cloud/ops_routes.hpp"

#include "tidewire/cloud/http_json.hpp"
#include "tidewire/cloud/scopes.hpp"
#include "tidewire/v1/fleet.pb.h"

namespace tidewire::cloud {
namespace {

std::string html_escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

OpsRoutes::OpsRoutes(MetricsRegistry& metrics, std::function<bool()> mqtt_connected,
                     std::function<std::string()> mqtt_problem)
    : metrics_(metrics),
      mqtt_connected_(std::move(mqtt_connected)),
      mqtt_problem_(std::move(mqtt_problem)),
      mqtt_gauge_(metrics.gauge("tw_cloud_mqtt_connected", "1 while connected to the cloud broker")) {}

Status OpsRoutes::install_module(CloudModule& module, http::Router& router) {
  size_t before = router.routes().size();
  if (auto st = module.install(router); !st) return st;
  auto all = router.routes();
  entries_.push_back({&module, {all.begin() + static_cast<std::ptrdiff_t>(before), all.end()}});
  return {};
}

Status OpsRoutes::install(http::Router& router) {
  if (auto st = router.add("GET", "/", http::Access::to({scope::kOperator}),
                           [this](const http::Request&) { return index(); });
      !st) {
    return st;
  }
  if (auto st = router.add("GET", "/metrics", http::Access::to({scope::kOperator, scope::kMetrics}),
                           [this](const http::Request&) { return metrics(); });
      !st) {
    return st;
  }
  return router.add("GET", "/healthz", http::Access::anyone(), [this](const http::Request&) { return healthz(); });
}

http::Response OpsRoutes::index() const {
  std::string page =
      "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>tidewire-cloud</title></head>\n"
      "<body style=\"font-family: sans-serif\">\n<h1>tidewire-cloud</h1>\n"
      "<p><a href=\"/metrics\">GET /metrics</a> &mdash; Prometheus text; "
      "<a href=\"/healthz\">GET /healthz</a> &mdash; broker and modules</p>\n";
  for (const auto& e : entries_) {
    page += "<h2>" + html_escaped(e.module->name()) + "</h2>\n<p>" + html_escaped(e.module->summary()) + "</p>\n<ul>\n";
    for (const auto& r : e.routes) {
      std::string route = html_escaped(r.method + " " + r.pattern);
      bool linkable = r.method == "GET" && r.pattern.find('{') == std::string::npos;
      page += linkable ? "<li><a href=\"" + html_escaped(r.pattern) + "\">" + route + "</a>"
                       : "<li>" + route;
      page += " &mdash; " + html_escaped(r.access.describe()) + "</li>\n";
    }
    page += "</ul>\n";
  }
  page += "</body></html>\n";
  return http::Response::text(200, page, "text/html; charset=utf-8");
}

http::Response OpsRoutes::metrics() {
  mqtt_gauge_.set(mqtt_connected_() ? 1 : 0);
  for (const auto& e : entries_) e.module->refresh_metrics();
  return http::Response::text(200, metrics_.render_prometheus(), "text/plain; version=0.0.4; charset=utf-8");
}

http::Response OpsRoutes::healthz() {
  v1::CloudHealth health;
  bool ok = mqtt_connected_();
  health.set_mqtt(ok ? "connected" : "disconnected");
  // A refused subscription means a module never hears its topics: not ready, whatever
  // the connection says (a broker ACL or a cluster that cannot express the filter).
  if (std::string problem = mqtt_problem_ ? mqtt_problem_() : ""; !problem.empty()) {
    health.set_mqtt(health.mqtt() + "; subscriptions refused: " + problem);
    ok = false;
  }
  for (const auto& e : entries_) {
    auto st = e.module->health();
    (*health.mutable_modules())[e.module->name()] = st ? "ok" : st.error().message;
    ok = ok && st.ok();
  }
  health.set_status(ok ? "ok" : "unavailable");
  return http_json::message(ok ? 200 : 503, health);
}

}  // namespace tidewire::cloud

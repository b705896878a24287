#include "tidewire/cloud/fleet_api.hpp"

#include <cerrno>
#include <cstdlib>
#include <initializer_list>

#include "page_token.hpp"
#include "tidewire/cloud/http_json.hpp"
#include "tidewire/cloud/scopes.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::cloud {
namespace {

Error bad_query(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message), "invalid_query");
}

Expected<int64_t> int_param(const http::Request& req, const std::string& name, int64_t fallback, int64_t lo,
                            int64_t hi) {
  auto it = req.query.find(name);
  if (it == req.query.end()) return fallback;
  const std::string& text = it->second;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < lo || v > hi) {
    return bad_query(name + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got '" +
                     text.substr(0, 64) + "'");
  }
  return static_cast<int64_t>(v);
}

}  // namespace

FleetApi::FleetApi(FleetRegistry& registry, MetricsRegistry& metrics, ApiOptions options)
    : registry_(registry),
      online_(metrics.gauge("tw_cloud_devices", "Known devices by presence", {{"presence", "online"}})),
      offline_(metrics.gauge("tw_cloud_devices", "Known devices by presence", {{"presence", "offline"}})),
      options_(options) {}

Status FleetApi::install(http::Router& router) {
  struct Route {
    const char* method;
    const char* pattern;
    http::Response (FleetApi::*handler)(const http::Request&);
  };
  // Installers read the fleet they put up; everything else is the operator's.
  const http::Access readers = http::Access::to({scope::kOperator, scope::kInstaller});
  const Route routes[] = {
      {"GET", "/v1/fleet/summary", &FleetApi::summary},
      {"GET", "/v1/devices", &FleetApi::list_devices},
      {"GET", "/v1/devices/{id}", &FleetApi::get_device},
      {"GET", "/v1/devices/{id}/events", &FleetApi::device_events},
  };
  for (const auto& r : routes) {
    auto handler = r.handler;
    if (auto st = router.add(r.method, r.pattern, readers,
                             [this, handler](const http::Request& req) { return (this->*handler)(req); });
        !st) {
      return st;
    }
  }
  return {};
}

void FleetApi::refresh_metrics() {
  if (auto s = registry_.summary(); s) {
    online_.set(static_cast<int64_t>(s->online()));
    offline_.set(static_cast<int64_t>(s->offline()));
  }
}

http::Response FleetApi::summary(const http::Request& req) {
  if (auto st = http_json::only_known_params(req, {}); !st) return http_json::error(st.error());
  auto s = registry_.summary();
  if (!s) return http_json::error(s.error());
  return http_json::message(200, *s);
}

http::Response FleetApi::list_devices(const http::Request& req) {
  if (auto st = http_json::only_known_params(req, {"kind", "site", "online", "page_size", "page_token"}); !st) {
    return http_json::error(st.error());
  }
  DeviceQuery q;
  if (req.has_query("kind")) {
    auto kind = topics::parse_kind(req.query.at("kind"));
    if (!kind) return http_json::error(bad_query("kind must be poster, rider, encoder or merchant"));
    q.kind = *kind;
  }
  if (req.has_query("site")) {
    const auto& site = req.query.at("site");
    if (!topics::valid_id(site)) {
      return http_json::error(bad_query(std::string("site must be ") + topics::kIdRule));
    }
    q.site = site;
  }
  if (req.has_query("online")) {
    const auto& online = req.query.at("online");
    if (online != "true" && online != "false") {
      return http_json::error(bad_query("online must be true or false"));
    }
    q.online = online == "true";
  }
  auto size = int_param(req, "page_size", options_.default_page_size, 1, options_.max_page_size);
  if (!size) return http_json::error(size.error());
  q.limit = static_cast<int>(*size);
  if (req.has_query("page_token") && !req.query.at("page_token").empty()) {
    auto after = parse_page_token(req.query.at("page_token"));
    if (!after) return http_json::error(after.error());
    q.after_device_id = *after;
  }
  auto page = registry_.list_devices(q);
  if (!page) return http_json::error(page.error());
  v1::DeviceList list;
  for (auto& d : page->devices) *list.add_devices() = std::move(d);
  if (page->more && list.devices_size() > 0) {
    list.set_next_page_token(page_token(list.devices(list.devices_size() - 1).device_id()));
  }
  return http_json::message(200, list);
}

http::Response FleetApi::get_device(const http::Request& req) {
  if (auto st = http_json::only_known_params(req, {}); !st) return http_json::error(st.error());
  auto d = registry_.device(req.params.at("id"));
  if (!d) return http_json::error(d.error());
  return http_json::message(200, *d);
}

http::Response FleetApi::device_events(const http::Request& req) {
  if (auto st = http_json::only_known_params(req, {"after_seq", "limit"}); !st) return http_json::error(st.error());
  const auto& id = req.params.at("id");
  auto after = int_param(req, "after_seq", 0, 0, INT64_MAX);
  if (!after) return http_json::error(after.error());
  auto limit = int_param(req, "limit", options_.default_event_limit, 1, options_.max_event_limit);
  if (!limit) return http_json::error(limit.error());
  if (auto d = registry_.device(id); !d) return http_json::error(d.error());
  // One row more than asked says whether another page follows.
  auto events = registry_.events(id, static_cast<uint64_t>(*after), static_cast<int>(*limit) + 1);
  if (!events) return http_json::error(events.error());
  v1::EventList list;
  list.set_device_id(id);
  bool more = events->size() > static_cast<size_t>(*limit);
  if (more) events->pop_back();
  for (auto& e : *events) *list.add_events() = std::move(e);
  if (more) list.set_next_after_seq(list.events(list.events_size() - 1).seq());
  return http_json::message(200, list);
}

}  // namespace tidewire::cloud

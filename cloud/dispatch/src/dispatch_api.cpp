#include "tidewire/dispatch/dispatch_api.hpp"

#include <tuple>

#include "order_rejects.hpp"
#include "tidewire/cloud/http_json.hpp"

namespace tidewire::dispatch {

namespace http_json = cloud::http_json;

DispatchApi::DispatchApi(DispatchLoop& loop, MetricsRegistry& metrics, int64_t call_timeout_ms)
    : loop_(loop), metrics_(metrics), timeout_ms_(call_timeout_ms) {}

Status DispatchApi::install(http::Router& router) {
  auto bind = [this](http::Response (DispatchApi::*fn)(const http::Request&)) {
    return [this, fn](const http::Request& req) { return (this->*fn)(req); };
  };
  for (auto [method, pattern, fn] : {std::tuple{"POST", "/v1/merchants", &DispatchApi::put_merchant},
                                     std::tuple{"POST", "/v1/orders", &DispatchApi::create_order},
                                     std::tuple{"GET", "/v1/orders/{id}", &DispatchApi::get_order},
                                     std::tuple{"POST", "/v1/orders/{id}/cancel", &DispatchApi::cancel_order},
                                     std::tuple{"GET", "/v1/riders/{id}", &DispatchApi::get_rider},
                                     std::tuple{"GET", "/v1/dispatch/stats", &DispatchApi::stats}}) {
    if (auto st = router.add(method, pattern, bind(fn)); !st) return st;
  }
  return {};
}

http::Response DispatchApi::refuse(const Error& error) {
  // The book counts its own refusals; these are the HTTP layer's (bad JSON, busy, ...).
  if (reject_reason(error).empty()) {
    metrics_
        .counter(reject::kMetric, reject::kMetricHelp,
                 {{"op", "http"}, {"reason", error.reason}})
        .inc();
  }
  return http_json::error(error);
}

http::Response DispatchApi::put_merchant(const http::Request& req) {
  v1::Merchant body;
  if (auto st = http_json::parse(req.body, body); !st) return refuse(st.error());
  Merchant m = merchant_from_proto(body);
  auto written = loop_.call([m](Dispatcher& d) { return d.put_merchant(m); }, timeout_ms_);
  if (!written) return refuse(written.error());
  return http_json::message(*written == MerchantDirectory::Write::kCreated ? 201 : 200, body);
}

http::Response DispatchApi::create_order(const http::Request& req) {
  v1::OrderRequest body;
  if (auto st = http_json::parse(req.body, body); !st) return refuse(st.error());
  std::string key = req.header("idempotency-key");
  auto placed = loop_.call(
      [body, key](Dispatcher& d) -> Expected<std::pair<v1::OrderView, bool>> {
        auto p = d.create_order(body, key);
        if (!p) return p.error();
        return std::pair{to_view(p->order), p->transition.duplicate};
      },
      timeout_ms_);
  if (!placed) return refuse(placed.error());
  return http_json::message(placed->second ? 200 : 201, placed->first);
}

http::Response DispatchApi::get_order(const http::Request& req) {
  std::string id = req.params.at("id");
  auto view = loop_.call([id](Dispatcher& d) { return d.view_order(id); }, timeout_ms_);
  if (!view) return refuse(view.error());
  return http_json::message(200, *view);
}

http::Response DispatchApi::cancel_order(const http::Request& req) {
  std::string id = req.params.at("id");
  std::string note = req.query_or("reason", "");
  auto view = loop_.call([id, note](Dispatcher& d) { return d.cancel_order(id, note); }, timeout_ms_);
  if (!view) return refuse(view.error());
  return http_json::message(200, *view);
}

http::Response DispatchApi::get_rider(const http::Request& req) {
  std::string id = req.params.at("id");
  auto view = loop_.call([id](Dispatcher& d) { return d.view_rider(id); }, timeout_ms_);
  if (!view) return refuse(view.error());
  return http_json::message(200, *view);
}

http::Response DispatchApi::stats(const http::Request&) {
  auto s = loop_.call([](Dispatcher& d) -> Expected<v1::DispatchStats> { return d.stats(); }, timeout_ms_);
  if (!s) return refuse(s.error());
  return http_json::message(200, *s);
}

}  // namespace tidewire::dispatch

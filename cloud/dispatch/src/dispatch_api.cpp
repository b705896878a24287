#include "tidewire/dispatch/dispatch_api.hpp"

#include <tuple>

#include "order_rejects.hpp"
#include "tidewire/cloud/http_json.hpp"
#include "tidewire/cloud/scopes.hpp"

namespace tidewire::dispatch {

namespace http_json = cloud::http_json;
namespace scope = cloud::scope;

namespace {

// Whom an order belongs to: its merchant, its customer and, once assigned, its rider.
bool may_see(const http::Caller& caller, const v1::OrderView& order) {
  if (caller.is_operator()) return true;
  return (caller.has(scope::kMerchant) && caller.acts_for(order.merchant_id())) ||
         (caller.has(scope::kCustomer) && !order.customer_id().empty() && caller.acts_for(order.customer_id())) ||
         (caller.has(scope::kRider) && !order.rider_id().empty() && caller.acts_for(order.rider_id()));
}

// Someone else's order is "not found", exactly like a missing one: a caller learns
// nothing about orders that are not theirs.
Error no_such_order(const std::string& id) {
  return make_error(ErrorCode::kNotFound, "unknown order '" + id + "'", reject::kUnknownOrder);
}

Error not_yours(const std::string& what) {
  return make_error(ErrorCode::kForbidden, "this token speaks for another " + what, "not_owner");
}

}  // namespace

DispatchApi::DispatchApi(DispatchLoop& loop, MetricsRegistry& metrics, int64_t call_timeout_ms)
    : loop_(loop), metrics_(metrics), timeout_ms_(call_timeout_ms) {}

Status DispatchApi::install(http::Router& router) {
  auto bind = [this](http::Response (DispatchApi::*fn)(const http::Request&)) {
    return [this, fn](const http::Request& req) { return (this->*fn)(req); };
  };
  // Merchants manage their own record and orders, customers and riders read the orders
  // that are theirs; the handlers check which objects a caller owns.
  const auto operators = http::Access::to({scope::kOperator});
  const auto merchants = http::Access::to({scope::kOperator, scope::kMerchant});
  const auto order_readers = http::Access::to({scope::kOperator, scope::kMerchant, scope::kCustomer, scope::kRider});
  const auto riders = http::Access::to({scope::kOperator, scope::kRider});
  for (const auto& [method, pattern, access, fn] :
       {std::tuple{"POST", "/v1/merchants", merchants, &DispatchApi::put_merchant},
        std::tuple{"POST", "/v1/orders", merchants, &DispatchApi::create_order},
        std::tuple{"GET", "/v1/orders/{id}", order_readers, &DispatchApi::get_order},
        std::tuple{"POST", "/v1/orders/{id}/cancel", merchants, &DispatchApi::cancel_order},
        std::tuple{"GET", "/v1/riders/{id}", riders, &DispatchApi::get_rider},
        std::tuple{"GET", "/v1/dispatch/stats", operators, &DispatchApi::stats}}) {
    if (auto st = router.add(method, pattern, access, bind(fn)); !st) return st;
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
  if (!req.caller.acts_for(body.merchant_id())) return refuse(not_yours("merchant"));
  Merchant m = merchant_from_proto(body);
  auto written = loop_.call([m](Dispatcher& d) { return d.put_merchant(m); }, timeout_ms_);
  if (!written) return refuse(written.error());
  return http_json::message(*written == MerchantDirectory::Write::kCreated ? 201 : 200, body);
}

http::Response DispatchApi::create_order(const http::Request& req) {
  v1::OrderRequest body;
  if (auto st = http_json::parse(req.body, body); !st) return refuse(st.error());
  if (!req.caller.acts_for(body.merchant_id())) return refuse(not_yours("merchant"));
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
  if (!may_see(req.caller, *view)) return refuse(no_such_order(id));
  return http_json::message(200, *view);
}

http::Response DispatchApi::cancel_order(const http::Request& req) {
  std::string id = req.params.at("id");
  std::string note = req.query_or("reason", "");
  http::Caller caller = req.caller;
  // Checked and cancelled in one call on the dispatcher's thread: nothing can change the
  // order in between.
  auto view = loop_.call(
      [id, note, caller](Dispatcher& d) -> Expected<v1::OrderView> {
        auto current = d.view_order(id);
        if (!current) return current.error();
        if (!caller.acts_for(current->merchant_id())) return no_such_order(id);
        return d.cancel_order(id, note);
      },
      timeout_ms_);
  if (!view) return refuse(view.error());
  return http_json::message(200, *view);
}

http::Response DispatchApi::get_rider(const http::Request& req) {
  std::string id = req.params.at("id");
  if (!req.caller.acts_for(id)) {
    // Worded as the dispatcher words a rider it does not know.
    return refuse(make_error(ErrorCode::kNotFound,
                             "unknown rider '" + id.substr(0, 128) +
                                 "' (a rider is known once its terminal reported a position)",
                             "unknown_rider"));
  }
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

#pragma once
// The dispatch HTTP API (routes in cloud/README.md), installed on the cloud's router next
// to the FleetApi. Handlers run on HTTP threads and hand every request to the dispatch
// thread (DispatchLoop::call); a busy or slow dispatcher answers 503 / 504. Bodies are
// protobuf's JSON mapping of dispatch.proto; errors are v1::ErrorBody with the OrderBook's
// reject reason as `error` (unknown_merchant, idempotency_conflict, ...). HTTP-level
// refusals are counted in tw_dispatch_rejects_total{op="http",reason}.
#include <cstdint>

#include "http/router.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/dispatch/dispatcher_loop.hpp"

namespace tidewire::dispatch {

class DispatchApi {
 public:
  DispatchApi(DispatchLoop& loop, MetricsRegistry& metrics, int64_t call_timeout_ms = 5'000);
  Status install(http::Router& router);

 private:
  http::Response put_merchant(const http::Request& req);
  http::Response create_order(const http::Request& req);
  http::Response get_order(const http::Request& req);
  http::Response cancel_order(const http::Request& req);
  http::Response get_rider(const http::Request& req);
  http::Response stats(const http::Request& req);
  http::Response refuse(const Error& error);

  DispatchLoop& loop_;
  MetricsRegistry& metrics_;
  int64_t timeout_ms_;
};

}  // namespace tidewire::dispatch

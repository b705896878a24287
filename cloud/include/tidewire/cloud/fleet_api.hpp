#pragma once
// The fleet module's HTTP API: /v1/fleet/summary and /v1/devices... (cloud/README.md).
// Handlers only translate between HTTP and the registry; they hold no state, so the
// server may run them on several threads at once.
#include "http/router.hpp"
#include "tidewire/cloud/fleet_registry.hpp"
#include "tidewire/common/metrics.hpp"

namespace tidewire::cloud {

struct ApiOptions {
  int default_page_size = 100;
  int max_page_size = 1000;
  int default_event_limit = 100;
  int max_event_limit = 1000;
};

class FleetApi {
 public:
  FleetApi(FleetRegistry& registry, MetricsRegistry& metrics, ApiOptions options = {});

  // Adds every route of the API to `router`.
  Status install(http::Router& router);
  // tw_cloud_devices{presence}: read from the store at scrape time.
  void refresh_metrics();

 private:
  http::Response summary(const http::Request& req);
  http::Response list_devices(const http::Request& req);
  http::Response get_device(const http::Request& req);
  http::Response device_events(const http::Request& req);

  FleetRegistry& registry_;
  Gauge& online_;
  Gauge& offline_;
  ApiOptions options_;
};

}  // namespace tidewire::cloud

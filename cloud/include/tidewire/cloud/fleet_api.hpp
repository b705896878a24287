#pragma once
// The cloud's HTTP API (routes in cloud/README.md). Handlers only translate between
// HTTP and the registry / command service; they hold no state, so the server may run
// them on several threads at once.
#include <functional>

#include "http/router.hpp"
#include "tidewire/cloud/command_service.hpp"
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
  // `mqtt_connected` feeds /healthz.
  FleetApi(FleetRegistry& registry, CommandService& commands, MetricsRegistry& metrics,
           std::function<bool()> mqtt_connected, ApiOptions options = {});

  // Adds every route of the API to `router`.
  Status install(http::Router& router);

 private:
  http::Response index(const http::Request& req);
  http::Response summary(const http::Request& req);
  http::Response list_devices(const http::Request& req);
  http::Response get_device(const http::Request& req);
  http::Response device_events(const http::Request& req);
  http::Response create_command(const http::Request& req);
  http::Response get_command(const http::Request& req);
  http::Response metrics(const http::Request& req);
  http::Response healthz(const http::Request& req);
  // Gauges read from the store at scrape time: commands by state, devices online/offline.
  void refresh_gauges();

  FleetRegistry& registry_;
  CommandService& commands_;
  MetricsRegistry& metrics_;
  std::function<bool()> mqtt_connected_;
  ApiOptions options_;
};

}  // namespace tidewire::cloud

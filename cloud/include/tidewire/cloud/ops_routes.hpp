#pragma once
// What the host serves for every module, so no module owns the process's pages:
//   GET /         an index: each module, its summary, its routes and who may call them
//                 (operator)
//   GET /metrics  Prometheus text, after every module's refresh_metrics() (operator or
//                 a scraper's token of scope metrics)
//   GET /healthz  CloudHealth: the broker connection and every module's health() (open:
//                 load balancers and supervisors probe it without a credential).
//                 `mqtt` is "connected", "disconnected", or, when the broker refused or
//                 downgraded a subscription, "connected; subscriptions refused: ..."
//                 naming each filter and its SUBACK code; anything but "connected" is 503
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "http/router.hpp"
#include "tidewire/cloud/module.hpp"
#include "tidewire/common/metrics.hpp"

namespace tidewire::cloud {

class OpsRoutes {
 public:
  // `mqtt_problem`: "" while every subscription stands as asked, else what the broker
  // refused (optional).
  OpsRoutes(MetricsRegistry& metrics, std::function<bool()> mqtt_connected,
            std::function<std::string()> mqtt_problem = {});

  // Installs the module's routes into `router`, noting them for the index.
  Status install_module(CloudModule& module, http::Router& router);
  // Adds /, /metrics and /healthz (after every module's routes).
  Status install(http::Router& router);

 private:
  struct Entry {
    CloudModule* module;
    std::vector<http::RouteInfo> routes;
  };
  http::Response index() const;
  http::Response metrics();
  http::Response healthz();

  MetricsRegistry& metrics_;
  std::function<bool()> mqtt_connected_;
  std::function<std::string()> mqtt_problem_;
  Gauge& mqtt_gauge_;
  std::vector<Entry> entries_;
};

}  // namespace tidewire::cloud

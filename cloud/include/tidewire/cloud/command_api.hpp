#pragma once
// The commands module's HTTP API: POST /v1/devices/{id}/commands, GET /v1/commands/{id}
// (cloud/README.md). Handlers only translate between HTTP and the CommandService; they
// hold no state, so the server may run them on several threads at once.
#include <array>

#include "http/router.hpp"
#include "tidewire/cloud/command_service.hpp"
#include "tidewire/cloud/fleet_registry.hpp"
#include "tidewire/common/metrics.hpp"

namespace tidewire::cloud {

class CommandApi {
 public:
  CommandApi(FleetRegistry& registry, CommandService& commands, MetricsRegistry& metrics);

  Status install(http::Router& router);
  // tw_cloud_commands{state}: stored commands by state, read from the store at scrape time.
  void refresh_metrics();

 private:
  http::Response create_command(const http::Request& req);
  http::Response get_command(const http::Request& req);

  FleetRegistry& registry_;
  CommandService& commands_;
  std::array<Gauge*, 4> by_state_;  // PENDING, SENT, COMPLETED, EXPIRED
};

}  // namespace tidewire::cloud

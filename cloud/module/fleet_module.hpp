#pragma once
// The fleet module: the registry of devices (events, status, presence) fed by the edges'
// batches, the commands sent to devices, and their HTTP API (/v1/fleet, /v1/devices,
// /v1/commands, /metrics, /healthz). It subscribes to every edge's batches; BatchIngest
// commits each, hands its items to the DeviceFeed, and acks it.
//
// Provides: FleetRegistry (read by alerts), CommandService (dispatch sends offers with it).
// Options: offline-after-s, command-timeout-s, command-resend-s, ingest-queue-frames.
#include <memory>

#include "tidewire/cloud/module.hpp"

namespace tidewire::cloud {

CloudModulePtr make_fleet_module();

}  // namespace tidewire::cloud

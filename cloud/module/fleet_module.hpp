#pragma once
// The fleet module: the registry of devices (events, status, presence) fed by the edges'
// batches, and its HTTP API (/v1/fleet/summary, /v1/devices...). It subscribes to every
// edge's batches; BatchIngest commits each, hands its items to the DeviceFeed, and acks it.
//
// Provides: FleetRegistry (commands stores its commands there, alerts reads it).
// Options: offline-after-s, ingest-queue-frames; store: --fleet-store (default --store).
#include <memory>

#include "tidewire/cloud/module.hpp"

namespace tidewire::cloud {

CloudModulePtr make_fleet_module();

}  // namespace tidewire::cloud

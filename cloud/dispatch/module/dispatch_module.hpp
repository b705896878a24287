#pragma once
// The dispatch module: orders and merchants (SqliteOrderStore), the Dispatcher on its own
// thread (DispatchLoop), offers sent as commands, order updates over MQTT, and the HTTP
// API under /v1/merchants, /v1/orders, /v1/riders, /v1/dispatch (docs/dispatch.md).
//
// Needs: CommandService (the fleet module). Subscribes to rider statuses and events,
// merchant order events and offer answers (dispatch::device_subscription).
// Options: dispatch-policy, dispatch-regions, batch-interval-s, postpone-s,
// offer-timeout-s, speed-mpm, candidate-radius-m, service-s, dispatch-queue.
#include "tidewire/cloud/module.hpp"

namespace tidewire::dispatch {

cloud::CloudModulePtr make_dispatch_module();

}  // namespace tidewire::dispatch

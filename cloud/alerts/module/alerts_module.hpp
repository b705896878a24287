#pragma once
// The alerts module: device alert rules (from --alert-rules-file and /v1/alert-rules)
// evaluated over the fleet registry every --alert-interval-s, incidents in the AlertStore,
// notices through the cloud's Notifier (docs/alerts.md).
//
// Needs: FleetRegistry (the fleet module), cloud::Notifier (the push module).
// Options: alert-rules-file, alert-interval-s.
#include "tidewire/cloud/module.hpp"

namespace tidewire::alerts {

cloud::CloudModulePtr make_alerts_module();

}  // namespace tidewire::alerts

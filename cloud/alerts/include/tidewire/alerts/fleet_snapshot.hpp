#pragma once
// What the alert engine looks at: every device's presence and last status, copied out of
// the FleetRegistry once per evaluation so the rules run on one consistent picture
// without holding the registry.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tidewire/cloud/fleet_registry.hpp"
#include "tidewire/common/expected.hpp"
#include "tidewire/v1/device.pb.h"

namespace tidewire::alerts {

struct DeviceState {
  std::string device_id;
  v1::DeviceKind kind = v1::DEVICE_KIND_UNSPECIFIED;
  std::string site;
  bool online = false;
  int64_t last_seen_ms = 0;          // wall ms the cloud last heard of it
  std::optional<v1::Status> status;  // the latest status, when one ever arrived
  int64_t last_status_ms = 0;
};

struct FleetSnapshot {
  std::vector<DeviceState> devices;
};

// Pages through list_devices (page_size per call) until the last page.
Expected<FleetSnapshot> snapshot_fleet(cloud::FleetRegistry& registry, int page_size = 1000);

}  // namespace tidewire::alerts

#include "tidewire/alerts/fleet_snapshot.hpp"

namespace tidewire::alerts {

Expected<FleetSnapshot> snapshot_fleet(cloud::FleetRegistry& registry, int page_size) {
  FleetSnapshot out;
  cloud::DeviceQuery query;
  query.limit = page_size;
  while (true) {
    auto page = registry.list_devices(query);
    if (!page) return page.error().with_context("alerts: read the fleet");
    for (const auto& d : page->devices) {
      DeviceState s;
      s.device_id = d.device_id();
      s.kind = d.kind();
      s.site = d.site();
      s.online = d.online();
      s.last_seen_ms = d.last_seen_ms();
      if (d.has_last_status()) s.status = d.last_status();
      s.last_status_ms = d.last_status_ms();
      out.devices.push_back(std::move(s));
    }
    // A page that says "more" but is empty would loop forever on a broken backend.
    if (!page->more || page->devices.empty()) break;
    query.after_device_id = page->devices.back().device_id();
  }
  return out;
}

}  // namespace tidewire::alerts

#pragma once
// The fleet registry named by a store URL. The only code that names the registry's
// backends: adding one (e.g. postgres://) is a branch here and its adapter under
// platform/, and no module changes. Inline while SQLite is the only backend.
#include "sqlite/sqlite_registry.hpp"
#include "tidewire/cloud/fleet_registry.hpp"
#include "tidewire/cloud/store_url.hpp"
#include "tidewire/common/clock.hpp"

namespace tidewire::cloud {

// sqlite: -> SqliteRegistry on url.path. Another scheme -> kInvalidArgument naming it and
// the backends built in.
inline Expected<FleetRegistryPtr> open_fleet_registry(const StoreUrl& url, int64_t offline_after_ms, Clock& clock) {
  if (url.scheme == "sqlite") {
    auto registry = SqliteRegistry::open({url.path, offline_after_ms}, clock);
    if (!registry) return registry.error();
    return FleetRegistryPtr(std::move(*registry));
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "no fleet registry backend for scheme '" + url.scheme + "' (built in: sqlite)");
}

}  // namespace tidewire::cloud

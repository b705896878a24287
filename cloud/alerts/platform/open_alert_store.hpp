#pragma once
// The alert store named by a store URL. The only code that names the alert store
// backends: adding one (e.g. postgres://) is a branch here and its adapter under platform/.
// Inline while SQLite is the only backend, so it needs no library of its own; a second
// backend moves it into a .cpp of a library linking every backend, as push's
// open_push_store() is.
#include "sqlite/sqlite_alert_store.hpp"
#include "tidewire/alerts/alert_store.hpp"
#include "tidewire/cloud/store_url.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/common/expected.hpp"

namespace tidewire::alerts {

// sqlite: -> SqliteAlertStore on url.path. Another scheme -> kInvalidArgument naming it
// and the backends built in.
inline Expected<AlertStorePtr> open_alert_store(const cloud::StoreUrl& url, Clock& clock) {
  if (url.scheme == "sqlite") {
    auto store = SqliteAlertStore::open(url.path, clock);
    if (!store) return store.error();
    return AlertStorePtr(std::move(*store));
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "no alert store backend for scheme '" + url.scheme + "' (built in: sqlite)");
}

}  // namespace tidewire::alerts

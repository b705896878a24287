#pragma once
// The identity store named by a store URL: the one place mapping a scheme to a backend
// (inline while SQLite is the only one, as open_alert_store is).
#include "sqlite/sqlite_identity_store.hpp"
#include "tidewire/cloud/store_url.hpp"
#include "tidewire/identity/identity_store.hpp"

namespace tidewire::identity {

inline Expected<IdentityStorePtr> open_identity_store(const cloud::StoreUrl& url) {
  if (url.scheme == "sqlite") {
    auto store = SqliteIdentityStore::open(url.path);
    if (!store) return store.error();
    return IdentityStorePtr(std::move(*store));
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "no identity store backend for scheme '" + url.scheme + "' (built in: sqlite)");
}

}  // namespace tidewire::identity

#pragma once
// The order store named by a store URL. The only code that names the order store's
// backends: adding one (e.g. postgres://) is a branch here and its adapter under
// platform/, and the dispatch module does not change. Inline while SQLite is the only one.
#include "sqlite/sqlite_order_store.hpp"
#include "tidewire/cloud/store_url.hpp"
#include "tidewire/dispatch/order_store.hpp"

namespace tidewire::dispatch {

// sqlite: -> SqliteOrderStore on url.path. Another scheme -> kInvalidArgument naming it
// and the backends built in.
inline Expected<OrderStorePtr> open_order_store(const cloud::StoreUrl& url) {
  if (url.scheme == "sqlite") {
    auto store = SqliteOrderStore::open(url.path);
    if (!store) return store.error();
    return OrderStorePtr(std::move(*store));
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "no order store backend for scheme '" + url.scheme + "' (built in: sqlite)");
}

}  // namespace tidewire::dispatch

#include "open_push_store.hpp"

#include "sqlite/sqlite_push_store.hpp"

namespace tidewire::push {

Expected<PushStorePtr> open_push_store(const cloud::StoreUrl& url) {
  if (url.scheme == "sqlite") {
    auto store = SqlitePushStore::open(url.path);
    if (!store) return store.error();
    return PushStorePtr(std::move(*store));
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "no push store backend for scheme '" + url.scheme + "' (built in: sqlite)");
}

}  // namespace tidewire::push

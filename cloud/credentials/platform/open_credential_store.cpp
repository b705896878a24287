#include "open_credential_store.hpp"

#include "sqlite/sqlite_credential_store.hpp"

namespace tidewire::credentials {

Expected<CredentialStorePtr> open_credential_store(const cloud::StoreUrl& url) {
  if (url.scheme == "sqlite") {
    auto store = SqliteCredentialStore::open(url.path);
    if (!store) return store.error();
    return CredentialStorePtr(std::move(*store));
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "no credential store backend for scheme '" + url.scheme + "' (built in: sqlite)");
}

}  // namespace tidewire::credentials

#include "open_credential_store.hpp"

#include "sqlite/sqlite_credential_store.hpp"

namespace tidewire::credentials {
namespace {

class ProvisionedEdgeSites final : public cloud::EdgeSites {
 public:
  explicit ProvisionedEdgeSites(CredentialStorePtr store) : store_(std::move(store)) {}

  Expected<std::optional<std::string>> site_of(const std::string& edge_id) override {
    auto edge = store_->find(PrincipalKind::kEdge, edge_id);
    if (!edge) return edge.error();
    if (!*edge) return std::optional<std::string>{};
    return std::optional<std::string>{(*edge)->site};
  }

 private:
  CredentialStorePtr store_;
};

}  // namespace

Expected<CredentialStorePtr> open_credential_store(const cloud::StoreUrl& url) {
  if (url.scheme == "sqlite") {
    auto store = SqliteCredentialStore::open(url.path);
    if (!store) return store.error();
    return CredentialStorePtr(std::move(*store));
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "no credential store backend for scheme '" + url.scheme + "' (built in: sqlite)");
}

Expected<std::unique_ptr<cloud::EdgeSites>> open_edge_sites(const cloud::StoreUrl& url) {
  auto store = open_credential_store(url);
  if (!store) return store.error();
  return std::unique_ptr<cloud::EdgeSites>(std::make_unique<ProvisionedEdgeSites>(std::move(*store)));
}

}  // namespace tidewire::credentials

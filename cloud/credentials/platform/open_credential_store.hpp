#pragma once
// The credential store named by a store URL (the cloud's --store): the only code that
// names its backends.
#include <memory>

#include "tidewire/cloud/edge_sites.hpp"
#include "tidewire/cloud/store_url.hpp"
#include "tidewire/credentials/credential_store.hpp"

namespace tidewire::credentials {

Expected<CredentialStorePtr> open_credential_store(const cloud::StoreUrl& url);

// The sites edges were provisioned for, read from the credential store at `url` (a
// connection of its own, for the ingest worker).
Expected<std::unique_ptr<cloud::EdgeSites>> open_edge_sites(const cloud::StoreUrl& url);

}  // namespace tidewire::credentials

#pragma once
// The credential store named by a store URL (the cloud's --store): the only code that
// names its backends.
#include "tidewire/cloud/store_url.hpp"
#include "tidewire/credentials/credential_store.hpp"

namespace tidewire::credentials {

Expected<CredentialStorePtr> open_credential_store(const cloud::StoreUrl& url);

}  // namespace tidewire::credentials

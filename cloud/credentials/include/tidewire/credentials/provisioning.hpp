#pragma once
// Provisioning: make a password for each principal, store only its hash, hand the
// password back once. Revocation: mark revoked; the broker files rendered afterwards
// leave the principal out.
#include <vector>

#include "tidewire/credentials/credential_store.hpp"
#include "tidewire/credentials/login_file.hpp"

namespace tidewire::credentials {

// One transaction for all of them (a fleet of thousands is one commit). The principals'
// password_hash and created_ms are filled in here. `rotate`: replace active ones (new
// passwords); without it an active principal is refused (kConflict, nothing stored).
Expected<std::vector<Login>> provision(CredentialStore& store, std::vector<Principal> principals, bool rotate,
                                       int64_t now_ms);

}  // namespace tidewire::credentials

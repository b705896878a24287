#include "tidewire/credentials/provisioning.hpp"

#include "tidewire/credentials/password_hash.hpp"

namespace tidewire::credentials {

Expected<std::vector<Login>> provision(CredentialStore& store, std::vector<Principal> principals, bool rotate,
                                       int64_t now_ms) {
  std::vector<Login> logins;
  logins.reserve(principals.size());
  for (auto& p : principals) {
    if (auto st = validate(p); !st) return st.error();
    auto password = make_password();
    if (!password) return password.error();
    auto hash = hash_password(*password);
    if (!hash) return hash.error();
    p.password_hash = *hash;
    p.created_ms = now_ms;
    p.revoked_ms = 0;
    logins.push_back({username(p), *password});
  }
  if (auto st = store.add(principals, rotate); !st) return st.error();
  return logins;
}

}  // namespace tidewire::credentials

#pragma once
// Where principals and their password hashes live. Only hashes are stored: the password
// is shown once, when it is made (provision, rotate), and never again.
//
// Contract (tests/cloud/credentials/credential_store_test.cpp):
// - add() stores every principal in one transaction, or none: a principal whose
//   (kind, id) is already active is refused with kConflict unless `replace` (rotation);
//   a revoked one may be provisioned again (it becomes active with the new hash).
// - revoke() marks an active principal revoked at `now_ms`; kNotFound if there is no
//   active one. Revoked principals stay listed (who was revoked and when).
// - list() returns every principal, active and revoked, ordered by kind then id.
#include <memory>
#include <optional>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/credentials/principal.hpp"

namespace tidewire::credentials {

class CredentialStore {
 public:
  virtual ~CredentialStore() = default;

  virtual Status add(const std::vector<Principal>& principals, bool replace) = 0;
  virtual Status revoke(PrincipalKind kind, const std::string& id, int64_t now_ms) = 0;
  virtual Expected<std::optional<Principal>> find(PrincipalKind kind, const std::string& id) = 0;
  virtual Expected<std::vector<Principal>> list() = 0;
};
using CredentialStorePtr = std::unique_ptr<CredentialStore>;

}  // namespace tidewire::credentials

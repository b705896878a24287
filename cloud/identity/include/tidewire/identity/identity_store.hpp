#pragma once
// Where the identity module keeps API tokens (hashes only) and the audit log of writes.
// The interface the domain (TokenRegistry, AuthGate) uses; SQLite implements it under
// platform/sqlite, and another backend is an adapter plus a branch in open_identity_store.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tidewire/common/expected.hpp"

namespace tidewire::identity {

struct TokenRecord {
  std::string id;
  std::string secret_hash;  // hex SHA-256 of the secret (api_token.hpp)
  std::string principal;
  std::vector<std::string> scopes;
  std::string note;
  std::string created_by;
  int64_t created_ms = 0;
  int64_t revoked_ms = 0;  // 0 while it works
};

struct AuditRecord {
  int64_t at_ms = 0;
  std::string principal;
  std::string token_id;
  std::string method;
  std::string route;   // the route's pattern
  std::string target;  // the route's {id} capture, if any
  int status = 0;
  std::string remote_address;
};

struct AuditQuery {
  std::string principal;  // empty: everyone
  std::string target;     // empty: every object
  int64_t since_ms = 0;
  size_t limit = 100;
};

class IdentityStore {
 public:
  virtual ~IdentityStore() = default;
  // kConflict if the id is taken (ids are random: a collision is retried by the caller).
  virtual Status insert_token(const TokenRecord& token) = 0;
  virtual Expected<std::optional<TokenRecord>> find_token(const std::string& id) = 0;
  // Every token, newest first.
  virtual Expected<std::vector<TokenRecord>> list_tokens() = 0;
  // Sets revoked_ms if it is not yet revoked; false if no such token.
  virtual Expected<bool> revoke_token(const std::string& id, int64_t at_ms) = 0;

  virtual Status append_audit(const AuditRecord& entry) = 0;
  // Newest first.
  virtual Expected<std::vector<AuditRecord>> audit(const AuditQuery& query) = 0;
};
using IdentityStorePtr = std::unique_ptr<IdentityStore>;

}  // namespace tidewire::identity

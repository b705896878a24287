#pragma once
// The IdentityStore on SQLite: tokens and the audit log in one file. One connection
// behind a mutex: checks are point queries by primary key, and writes are one row each.
// Opened with synchronous=NORMAL (WAL): a commit survives a crash of the process; on power
// loss the last audit rows may be lost, which the API's own stores (FULL) do not allow
// (docs/security.md, "What is not defended yet").
#include <memory>
#include <mutex>
#include <string>

#include "sqlite/sqlite.hpp"
#include "tidewire/identity/identity_store.hpp"

namespace tidewire::identity {

class SqliteIdentityStore final : public IdentityStore {
 public:
  static Expected<std::unique_ptr<SqliteIdentityStore>> open(const std::string& path);

  Status insert_token(const TokenRecord& token) override;
  Expected<std::optional<TokenRecord>> find_token(const std::string& id) override;
  Expected<std::vector<TokenRecord>> list_tokens() override;
  Expected<bool> revoke_token(const std::string& id, int64_t at_ms) override;
  Status append_audit(const AuditRecord& entry) override;
  Expected<std::vector<AuditRecord>> audit(const AuditQuery& query) override;

 private:
  SqliteIdentityStore() = default;
  std::mutex mu_;
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace tidewire::identity

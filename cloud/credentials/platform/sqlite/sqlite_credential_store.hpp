#pragma once
// The CredentialStore on SQLite: one table, `broker_principals`, in the cloud's store file
// (or any other). Hashes only.
#include <memory>
#include <string>

#include "sqlite/sqlite.hpp"
#include "tidewire/credentials/credential_store.hpp"

namespace tidewire::credentials {

class SqliteCredentialStore final : public CredentialStore {
 public:
  static Expected<std::unique_ptr<SqliteCredentialStore>> open(const std::string& path);

  // CredentialStore
  Status add(const std::vector<Principal>& principals, bool replace) override;
  Status revoke(PrincipalKind kind, const std::string& id, int64_t now_ms) override;
  Expected<std::optional<Principal>> find(PrincipalKind kind, const std::string& id) override;
  Expected<std::vector<Principal>> list() override;

 private:
  explicit SqliteCredentialStore(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}
  Status migrate();
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace tidewire::credentials

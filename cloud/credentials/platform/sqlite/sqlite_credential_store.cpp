#include "sqlite_credential_store.hpp"

namespace tidewire::credentials {
namespace {

constexpr const char* kColumns = "kind, id, site, device_kind, audience, password_hash, created_ms, revoked_ms";

Principal row(const sqlite::Statement& s) {
  Principal p;
  p.kind = parse_principal_kind(s.column_text(0)).value();
  p.id = s.column_text(1);
  p.site = s.column_text(2);
  p.device_kind = static_cast<v1::DeviceKind>(s.column_int(3));
  if (!s.column_is_null(4)) {
    if (auto a = parse_audience(s.column_text(4)); a) p.audience = *a;
  }
  p.password_hash = s.column_text(5);
  p.created_ms = s.column_int(6);
  p.revoked_ms = s.column_int(7);
  return p;
}

}  // namespace

Expected<std::unique_ptr<SqliteCredentialStore>> SqliteCredentialStore::open(const std::string& path) {
  auto db = sqlite::Database::open(path);
  if (!db) return db.error();
  std::unique_ptr<SqliteCredentialStore> store(new SqliteCredentialStore(std::move(*db)));
  if (auto st = store->migrate(); !st) return st.error().with_context("credential store " + path);
  return store;
}

Status SqliteCredentialStore::migrate() {
  return db_->exec(
      "CREATE TABLE IF NOT EXISTS broker_principals ("
      " kind TEXT NOT NULL, id TEXT NOT NULL, site TEXT NOT NULL DEFAULT '', device_kind INTEGER NOT NULL DEFAULT 0,"
      " audience TEXT, password_hash TEXT NOT NULL, created_ms INTEGER NOT NULL, revoked_ms INTEGER NOT NULL DEFAULT 0,"
      " PRIMARY KEY (kind, id))");
}

Status SqliteCredentialStore::add(const std::vector<Principal>& principals, bool replace) {
  sqlite::Transaction tx(*db_);
  if (!tx.begun()) return tx.begun().error();
  for (const auto& p : principals) {
    if (auto st = validate(p); !st) return st;
    auto existing = find(p.kind, p.id);
    if (!existing) return existing.error();
    if (*existing && !(*existing)->revoked() && !replace) {
      return make_error(ErrorCode::kConflict,
                        username(p) + " is already provisioned (use --rotate for a new password, or revoke it first)",
                        "already_provisioned");
    }
    auto s = db_->cached(std::string("INSERT OR REPLACE INTO broker_principals (") + kColumns +
                         ") VALUES (?, ?, ?, ?, ?, ?, ?, 0)");
    if (!s) return s.error();
    s->bind(1, std::string_view(kind_name(p.kind))).bind(2, p.id).bind(3, p.site);
    s->bind(4, static_cast<int64_t>(p.device_kind));
    if (p.audience)
      s->bind(5, std::string_view(audience_name(*p.audience)));
    else
      s->bind_null(5);
    s->bind(6, p.password_hash).bind(7, p.created_ms);
    if (auto st = s->run(); !st) return st;
  }
  return tx.commit();
}

Status SqliteCredentialStore::revoke(PrincipalKind kind, const std::string& id, int64_t now_ms) {
  auto s = db_->cached("UPDATE broker_principals SET revoked_ms = ? WHERE kind = ? AND id = ? AND revoked_ms = 0");
  if (!s) return s.error();
  s->bind(1, now_ms).bind(2, std::string_view(kind_name(kind))).bind(3, id);
  if (auto st = s->run(); !st) return st;
  if (db_->changes() == 0) {
    return make_error(ErrorCode::kNotFound, username(kind, id) + " has no active credential", "unknown_principal");
  }
  return {};
}

Expected<std::optional<Principal>> SqliteCredentialStore::find(PrincipalKind kind, const std::string& id) {
  auto s = db_->cached(std::string("SELECT ") + kColumns + " FROM broker_principals WHERE kind = ? AND id = ?");
  if (!s) return s.error();
  s->bind(1, std::string_view(kind_name(kind))).bind(2, id);
  auto has = s->step();
  if (!has) return has.error();
  if (!*has) return std::optional<Principal>();
  return std::optional<Principal>(row(*s));
}

Expected<std::vector<Principal>> SqliteCredentialStore::list() {
  auto s = db_->cached(std::string("SELECT ") + kColumns + " FROM broker_principals ORDER BY kind, id");
  if (!s) return s.error();
  std::vector<Principal> out;
  while (true) {
    auto has = s->step();
    if (!has) return has.error();
    if (!*has) break;
    out.push_back(row(*s));
  }
  return out;
}

}  // namespace tidewire::credentials

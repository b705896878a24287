#include "sqlite/sqlite_identity_store.hpp"

namespace tidewire::identity {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS api_tokens (
  token_id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL,
  principal TEXT NOT NULL,
  scopes TEXT NOT NULL,
  note TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  revoked_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  principal TEXT NOT NULL,
  token_id TEXT NOT NULL,
  method TEXT NOT NULL,
  route TEXT NOT NULL,
  target TEXT NOT NULL,
  status INTEGER NOT NULL,
  remote_address TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_principal ON audit_log(principal, seq);
CREATE INDEX IF NOT EXISTS audit_by_target ON audit_log(target, seq);
)sql";

constexpr const char* kTokenColumns =
    "token_id, secret_hash, principal, scopes, note, created_by, created_ms, revoked_ms";

// Scopes are names without commas (cloud/scopes.hpp), kept as one comma-joined column.
std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

TokenRecord token_from(const sqlite::Statement& st) {
  TokenRecord t;
  t.id = st.column_text(0);
  t.secret_hash = st.column_text(1);
  t.principal = st.column_text(2);
  t.scopes = split(st.column_text(3));
  t.note = st.column_text(4);
  t.created_by = st.column_text(5);
  t.created_ms = st.column_int(6);
  t.revoked_ms = st.column_int(7);
  return t;
}

}  // namespace

Expected<std::unique_ptr<SqliteIdentityStore>> SqliteIdentityStore::open(const std::string& path) {
  std::unique_ptr<SqliteIdentityStore> store(new SqliteIdentityStore());
  auto db = sqlite::Database::open(path, false);
  if (!db) return db.error().with_context("open identity store " + path);
  store->db_ = std::move(*db);
  if (auto st = store->db_->exec(kSchema); !st) return st.error().with_context("create identity tables in " + path);
  return store;
}

Status SqliteIdentityStore::insert_token(const TokenRecord& t) {
  std::lock_guard lock(mu_);
  auto exists = db_->cached("SELECT 1 FROM api_tokens WHERE token_id = ?1");
  if (!exists) return exists.error();
  exists->bind(1, t.id);
  auto row = exists->step();
  if (!row) return row.error();
  if (*row) return make_error(ErrorCode::kConflict, "token id " + t.id + " is taken");
  auto st = db_->cached(std::string("INSERT INTO api_tokens(") + kTokenColumns +
                        ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!st) return st.error();
  st->bind(1, t.id).bind(2, t.secret_hash).bind(3, t.principal).bind(4, join(t.scopes)).bind(5, t.note);
  st->bind(6, t.created_by).bind(7, t.created_ms).bind(8, t.revoked_ms);
  return st->run();
}

Expected<std::optional<TokenRecord>> SqliteIdentityStore::find_token(const std::string& id) {
  std::lock_guard lock(mu_);
  auto st = db_->cached(std::string("SELECT ") + kTokenColumns + " FROM api_tokens WHERE token_id = ?1");
  if (!st) return st.error();
  st->bind(1, id);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return std::optional<TokenRecord>{};
  return std::optional<TokenRecord>{token_from(*st)};
}

Expected<std::vector<TokenRecord>> SqliteIdentityStore::list_tokens() {
  std::lock_guard lock(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kTokenColumns + " FROM api_tokens ORDER BY created_ms DESC, token_id");
  if (!st) return st.error();
  std::vector<TokenRecord> out;
  while (true) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(token_from(*st));
  }
  return out;
}

Expected<bool> SqliteIdentityStore::revoke_token(const std::string& id, int64_t at_ms) {
  std::lock_guard lock(mu_);
  auto st = db_->cached("UPDATE api_tokens SET revoked_ms = ?2 WHERE token_id = ?1 AND revoked_ms = 0");
  if (!st) return st.error();
  st->bind(1, id).bind(2, at_ms);
  if (auto r = st->run(); !r) return r.error();
  if (db_->changes() > 0) return true;
  auto exists = db_->cached("SELECT 1 FROM api_tokens WHERE token_id = ?1");
  if (!exists) return exists.error();
  exists->bind(1, id);
  auto row = exists->step();
  if (!row) return row.error();
  return *row;
}

Status SqliteIdentityStore::append_audit(const AuditRecord& e) {
  std::lock_guard lock(mu_);
  auto st = db_->cached(
      "INSERT INTO audit_log(at_ms, principal, token_id, method, route, target, status, remote_address) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!st) return st.error();
  st->bind(1, e.at_ms).bind(2, e.principal).bind(3, e.token_id).bind(4, e.method).bind(5, e.route);
  st->bind(6, e.target).bind(7, static_cast<int64_t>(e.status)).bind(8, e.remote_address);
  return st->run();
}

Expected<std::vector<AuditRecord>> SqliteIdentityStore::audit(const AuditQuery& q) {
  std::lock_guard lock(mu_);
  auto st = db_->cached(
      "SELECT at_ms, principal, token_id, method, route, target, status, remote_address FROM audit_log "
      "WHERE (?1 = '' OR principal = ?1) AND (?2 = '' OR target = ?2) AND at_ms >= ?3 ORDER BY seq DESC LIMIT ?4");
  if (!st) return st.error();
  st->bind(1, q.principal).bind(2, q.target).bind(3, q.since_ms).bind(4, static_cast<int64_t>(q.limit));
  std::vector<AuditRecord> out;
  while (true) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    AuditRecord e;
    e.at_ms = st->column_int(0);
    e.principal = st->column_text(1);
    e.token_id = st->column_text(2);
    e.method = st->column_text(3);
    e.route = st->column_text(4);
    e.target = st->column_text(5);
    e.status = static_cast<int>(st->column_int(6));
    e.remote_address = st->column_text(7);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace tidewire::identity

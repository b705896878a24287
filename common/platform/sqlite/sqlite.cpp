#include "sqlite.hpp"

#include <sqlite3.h>

namespace tidewire::sqlite {
namespace {
// Every store in the tree sits on this file; callers and HTTP answers see "store_failed".
constexpr const char* kReason = "store_failed";

Error db_error(sqlite3* db, const std::string& what) {
  return make_error(ErrorCode::kIo, what + ": " + (db ? sqlite3_errmsg(db) : "no database"), kReason);
}
}  // namespace

Statement::Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_), lent_(o.lent_) {
  o.stmt_ = nullptr;
  o.lent_ = nullptr;
}
Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    release();
    db_ = o.db_;
    stmt_ = o.stmt_;
    lent_ = o.lent_;
    o.stmt_ = nullptr;
    o.lent_ = nullptr;
  }
  return *this;
}
Statement::~Statement() { release(); }
void Statement::release() {
  if (!stmt_) return;
  if (lent_) {
    reset();
    *lent_ = false;
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
  lent_ = nullptr;
}

Statement& Statement::bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Statement& Statement::bind(int i, double v) {
  sqlite3_bind_double(stmt_, i, v);
  return *this;
}
Statement& Statement::bind(int i, std::string_view text) {
  sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_blob(int i, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

Expected<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = db_error(db_, "step");
  sqlite3_reset(stmt_);
  return e;
}

Status Statement::run() {
  while (true) {
    auto r = step();
    if (!r) return r.error();
    if (!*r) break;
  }
  reset();
  return {};
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::column_int(int i) const { return sqlite3_column_int64(stmt_, i); }
double Statement::column_double(int i) const { return sqlite3_column_double(stmt_, i); }
std::string Statement::column_text(int i) const {
  auto* p = sqlite3_column_text(stmt_, i);
  int n = sqlite3_column_bytes(stmt_, i);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}
std::string Statement::column_blob(int i) const {
  const void* p = sqlite3_column_blob(stmt_, i);
  int n = sqlite3_column_bytes(stmt_, i);
  return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}
bool Statement::column_is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }

Expected<std::unique_ptr<Database>> Database::open(const std::string& path, bool synchronous_full) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    Error e = db_error(raw, "open " + path);
    sqlite3_close(raw);
    return e;
  }
  std::unique_ptr<Database> db(new Database(raw, path));
  sqlite3_busy_timeout(raw, 5000);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON"}) {
    if (auto st = db->exec(pragma); !st) return st.error().with_context("open " + path);
  }
  if (auto st = db->exec(synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"); !st)
    return st.error();
  return db;
}

Database::~Database() {
  for (auto& [sql, c] : cache_) sqlite3_finalize(c.stmt);
  sqlite3_close_v2(db_);
}

Status Database::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown";
    sqlite3_free(err);
    return make_error(ErrorCode::kIo, "exec '" + sql.substr(0, 60) + "': " + msg, kReason);
  }
  return {};
}

Expected<Statement> Database::prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
    return db_error(db_, "prepare '" + sql.substr(0, 60) + "'");
  }
  return Statement(db_, stmt);
}

Expected<Statement> Database::cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto fresh = prepare(sql);
    if (!fresh) return fresh.error();
    it = cache_.emplace(sql, Cached{}).first;
    std::swap(it->second.stmt, fresh->stmt_);
  }
  if (it->second.lent) return prepare(sql);
  it->second.lent = true;
  return Statement(db_, it->second.stmt, &it->second.lent);
}

int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }

Transaction::Transaction(Database& db) : db_(db), begun_(db.exec("BEGIN IMMEDIATE")) {}
Transaction::~Transaction() {
  if (begun_ && !done_) (void)db_.exec("ROLLBACK");
}
Status Transaction::commit() {
  if (!begun_) return begun_;
  done_ = true;
  auto st = db_.exec("COMMIT");
  if (!st) (void)db_.exec("ROLLBACK");
  return st;
}

Savepoint::Savepoint(Database& db) : db_(db), begun_(db.exec("SAVEPOINT tw_sp")) {}
Savepoint::~Savepoint() {
  if (begun_ && !done_) (void)db_.exec("ROLLBACK TO tw_sp; RELEASE tw_sp");
}
Status Savepoint::release() {
  if (!begun_) return begun_;
  done_ = true;
  auto st = db_.exec("RELEASE tw_sp");
  if (!st) (void)db_.exec("ROLLBACK TO tw_sp; RELEASE tw_sp");
  return st;
}

}  // namespace tidewire::sqlite

#pragma once
// A thin RAII layer over SQLite: the only code in common that includes sqlite3.h.
// Errors come back as Error, never exceptions. Hot paths take statements from
// Database::cached(), which prepares each SQL text once per connection: parsing a
// statement costs more than running a point query.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tidewire/common/expected.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace tidewire::sqlite {

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool* lent = nullptr) : db_(db), stmt_(stmt), lent_(lent) {}
  Statement(Statement&& o) noexcept;
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binds are 1-based like SQLite's. Blobs and texts are copied (SQLITE_TRANSIENT).
  Statement& bind(int i, int64_t v);
  Statement& bind(int i, double v);
  Statement& bind(int i, std::string_view text);
  Statement& bind_blob(int i, std::string_view bytes);
  Statement& bind_null(int i);

  // One step: true when a row is available, false when done.
  Expected<bool> step();
  // Steps to completion and resets; for INSERT/UPDATE/DELETE.
  Status run();
  void reset();

  int64_t column_int(int i) const;
  double column_double(int i) const;
  std::string column_text(int i) const;
  std::string column_blob(int i) const;
  bool column_is_null(int i) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  bool* lent_ = nullptr;  // from Database::cached(): reset and handed back, not finalized
  void release();
  friend class Database;
};

class Database {
 public:
  // Opens (creating) a file in WAL mode with synchronous=FULL for durability: a row the
  // caller acks on must survive power loss, which synchronous=NORMAL does not promise.
  static Expected<std::unique_ptr<Database>> open(const std::string& path, bool synchronous_full = true);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status exec(const std::string& sql);
  Expected<Statement> prepare(const std::string& sql);
  // The statement for `sql`, prepared on first use and kept for the connection's life;
  // it is reset and its bindings cleared when the returned Statement is destroyed. If
  // that text is already lent out (a nested use), a fresh statement is prepared instead.
  // A cached Statement must not outlive its Database.
  Expected<Statement> cached(const std::string& sql);
  int64_t last_insert_rowid() const;
  int changes() const;
  const std::string& path() const { return path_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool lent = false;
  };
  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, Cached> cache_;  // node-based: `lent` addresses stay valid
};

// RAII transaction: BEGIN IMMEDIATE on construction, ROLLBACK unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  const Status& begun() const { return begun_; }
  Status commit();

 private:
  Database& db_;
  Status begun_;
  bool done_ = false;
};

// RAII savepoint inside a Transaction: one request's writes in a group commit are undone
// alone (ROLLBACK TO) when that request fails, and kept by release().
class Savepoint {
 public:
  explicit Savepoint(Database& db);
  ~Savepoint();
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  const Status& begun() const { return begun_; }
  Status release();

 private:
  Database& db_;
  Status begun_;
  bool done_ = false;
};

}  // namespace tidewire::sqlite

#pragma once
// SQLite's transactions as the domain's StoreTransaction (tidewire/common/store_transaction.hpp):
// what a SQLite-backed store returns from begin() (BEGIN IMMEDIATE) and from a nested
// begin (SAVEPOINT), so its callers never see a sqlite type.
#include "sqlite/sqlite.hpp"
#include "tidewire/common/store_transaction.hpp"

namespace tidewire::sqlite {

class StoreTransactionOnSqlite final : public StoreTransaction {
 public:
  explicit StoreTransactionOnSqlite(Database& db) : tx_(db) {}

  // StoreTransaction
  const Status& begun() const override { return tx_.begun(); }
  Status commit() override { return tx_.commit(); }

 private:
  Transaction tx_;
};

class StoreSavepointOnSqlite final : public StoreTransaction {
 public:
  explicit StoreSavepointOnSqlite(Database& db) : savepoint_(db) {}

  // StoreTransaction
  const Status& begun() const override { return savepoint_.begun(); }
  Status commit() override { return savepoint_.release(); }

 private:
  Savepoint savepoint_;
};

}  // namespace tidewire::sqlite

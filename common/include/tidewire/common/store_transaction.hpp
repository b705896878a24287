#pragma once
// StoreTransaction: writes to a store that land together or not at all, in domain terms,
// so a service can group its writes (one fsync for a tick's sends, a group commit of API
// requests) without seeing the backend: SQLite's BEGIN and SAVEPOINT today, a postgres
// transaction later. A store hands them out (e.g. PushStore::begin(), savepoint()).
//
// Contract:
// - begun() is ok when the transaction started. When it is an error nothing started:
//   commit() returns that error, and the caller should report it rather than write.
// - commit() keeps every write made through the store since construction: an outer
//   transaction makes them durable, a nested one (savepoint) hands them to the enclosing
//   transaction, which may still undo them. A failed commit undoes them.
// - The destructor undoes every write made since construction unless commit() succeeded.
// - Nested transactions are opened inside an outer one and end (commit or destruction)
//   before it, last opened first.
#include <memory>

#include "tidewire/common/expected.hpp"

namespace tidewire {

class StoreTransaction {
 public:
  virtual ~StoreTransaction() = default;
  virtual const Status& begun() const = 0;
  virtual Status commit() = 0;
};
using StoreTransactionPtr = std::unique_ptr<StoreTransaction>;

}  // namespace tidewire

#pragma once
// OrderStore on SQLite: WAL, synchronous=FULL, one transaction per transition, so a
// transition the OrderBook reported is on disk and a kill -9 mid-write leaves the store
// as it was before that transition. Tables are prefixed dispatch_ and the schema version
// lives in dispatch_meta (not PRAGMA user_version), so the file may be the fleet
// registry's or a separate one.
//
// Two connections: the writer (the dispatch thread: apply, put_merchant, load) and a
// reader for point reads (find_*), each behind its own mutex, so HTTP threads can read
// committed orders while the dispatch thread writes.
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "sqlite/sqlite.hpp"
#include "tidewire/dispatch/order_store.hpp"

namespace tidewire::dispatch {

class SqliteOrderStore final : public OrderStore {
 public:
  static Expected<std::unique_ptr<SqliteOrderStore>> open(const std::string& path);

  // OrderStore
  Status put_merchant(const Merchant& merchant) override;
  Status apply(const OrderChange& change) override;
  Expected<std::optional<Order>> find_order(const std::string& order_id) override;
  Expected<std::optional<Order>> find_order_by_key(const std::string& idempotency_key) override;
  Expected<std::optional<OfferRecord>> find_offer(const std::string& offer_id) override;
  Expected<StoreSnapshot> load() override;

  // Runs inside apply() after every row is written and before COMMIT. An error return
  // aborts the transaction; a hook that kills the process shows what a crash leaves.
  void set_before_commit_ForTest(std::function<Status()> hook) { before_commit_ = std::move(hook); }

 private:
  explicit SqliteOrderStore(std::string path) : path_(std::move(path)) {}
  Status create_schema();
  Status prepare_statements();
  Status write_order(const Order& order);
  Status write_offer(const OfferRecord& offer);

  std::string path_;
  std::function<Status()> before_commit_;

  std::mutex write_mu_;
  std::unique_ptr<sqlite::Database> writer_;
  sqlite::Statement upsert_merchant_;
  sqlite::Statement upsert_order_;
  sqlite::Statement upsert_offer_;

  std::mutex read_mu_;
  std::unique_ptr<sqlite::Database> reader_;
  sqlite::Statement select_order_;
  sqlite::Statement select_order_by_key_;
  sqlite::Statement select_offer_;
};

}  // namespace tidewire::dispatch

#pragma once
// PushStore on SQLite: one file in WAL mode with synchronous=FULL, so a committed
// notification survives power loss. One connection: the PushService serialises its calls.
//
// Tables: push_recipients, push_recipient_tags (tag -> recipient, for fan-out),
// push_notifications (the request blob, expiry, fan-out cursor, idempotency key, unique
// when not NULL), push_deliveries (notification x recipient, PK both: a fan-out resumed
// after a crash cannot queue anyone twice), push_inbox (each recipient's last inbox seq).
// begin() is BEGIN IMMEDIATE, savepoint() a SAVEPOINT inside it.
#include <memory>
#include <string>

#include "sqlite/sqlite.hpp"
#include "tidewire/push/push_store.hpp"

namespace tidewire::push {

class SqlitePushStore final : public PushStore {
 public:
  static Expected<std::unique_ptr<SqlitePushStore>> open(const std::string& path);

  // PushStore
  Status put_recipient(const v1::Recipient& r) override;
  Expected<std::optional<v1::Recipient>> recipient(const std::string& id) override;
  Expected<bool> delete_recipient(const std::string& id) override;
  Expected<std::vector<std::string>> recipients_with_tags(const std::vector<std::string>& tags,
                                                          const std::string& after, size_t limit) override;
  Status set_streak(const std::string& id, uint32_t streak, bool silent) override;
  Expected<std::optional<StoredNotification>> notification(const std::string& id) override;
  Expected<std::optional<std::string>> notification_by_key(const std::string& idempotency_key) override;
  Expected<std::vector<StoredNotification>> pending_fanouts(size_t limit) override;
  Expected<size_t> queue(const StoredNotification& n, const std::vector<std::string>& recipients, int64_t now_ms,
                         bool insert_notification) override;
  Expected<size_t> queue_rows(const StoredNotification& n, const std::vector<std::string>& recipients, int64_t now_ms,
                              bool insert_notification) override;
  Expected<std::vector<Delivery>> due(int64_t now_ms, size_t limit) override;
  Expected<std::optional<Delivery>> delivery(const std::string& notification_id,
                                             const std::string& recipient_id) override;
  Status update(const Delivery& d) override;
  Expected<std::vector<Delivery>> expire(int64_t now_ms, size_t limit) override;
  Expected<std::vector<Delivery>> inbox(const std::string& recipient_id, uint64_t after_seq, int64_t now_ms,
                                        size_t limit) override;
  Expected<std::vector<Delivery>> deliveries_of(const std::string& notification_id, size_t limit) override;
  Expected<std::vector<std::pair<int, uint64_t>>> state_counts(const std::string& notification_id) override;
  Expected<uint64_t> count_live() override;
  StoreTransactionPtr begin() override;
  StoreTransactionPtr savepoint() override;

 private:
  explicit SqlitePushStore(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}
  Status migrate();
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace tidewire::push

#pragma once
// PushStore: recipients, notifications and per-recipient deliveries in SQLite (WAL,
// synchronous=FULL), so a notification is on disk before the API answers and survives a
// kill -9 at any point (docs/push.md, "Guarantees"). Single-threaded: PushService owns it.
//
// Tables: push_recipients, push_recipient_tags (tag -> recipient, for fan-out),
// push_notifications (the request blob, expiry, fan-out cursor, idempotency key),
// push_deliveries (notification x recipient, PK both: a fan-out resumed after a crash
// cannot queue anyone twice), push_inbox (each recipient's last inbox seq).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sqlite/sqlite.hpp"
#include "tidewire/common/expected.hpp"
#include "tidewire/v1/push.pb.h"

namespace tidewire::push {

struct StoredNotification {
  std::string id;
  v1::PushRequest request;
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
  std::string idempotency_key;
  std::string fingerprint;    // deterministic request bytes, for key reuse checks
  std::string fanout_cursor;  // last recipient id expanded from the tags
  bool fanout_done = false;
};

struct Delivery {
  std::string notification_id;
  std::string recipient_id;
  uint64_t inbox_seq = 0;
  v1::DeliveryState state = v1::DELIVERY_STATE_QUEUED;
  uint32_t attempts = 0;
  int64_t next_ms = 0;  // when a QUEUED/SENT delivery is (re)sent next
  int64_t queued_ms = 0, sent_ms = 0, delivered_ms = 0, opened_ms = 0, ended_ms = 0;
  int priority = 0;  // copied from the notification, for ordering
  int64_t expires_ms = 0;
  std::string collapse_key;
  std::string detail;
};

class PushStore {
 public:
  static Expected<std::unique_ptr<PushStore>> open(const std::string& path);

  // Recipients.
  Status put_recipient(const v1::Recipient& r);  // replaces tags
  Expected<std::optional<v1::Recipient>> recipient(const std::string& id);
  Expected<bool> delete_recipient(const std::string& id);  // its open deliveries -> FAILED
  // Up to `limit` recipient ids with any of `tags`, greater than `after`, ascending.
  Expected<std::vector<std::string>> recipients_with_tags(const std::vector<std::string>& tags,
                                                          const std::string& after, size_t limit);
  Status set_streak(const std::string& id, uint32_t streak, bool silent);

  // Notifications.
  Expected<std::optional<StoredNotification>> notification(const std::string& id);
  Expected<std::optional<std::string>> notification_by_key(const std::string& idempotency_key);
  // Unfinished fan-outs, oldest first.
  Expected<std::vector<StoredNotification>> pending_fanouts(size_t limit);

  // One transaction: the notification (insert or update of its cursor) and deliveries to
  // `recipients` (existing pairs skipped), each with the recipient's next inbox seq; older
  // live deliveries with the same collapse key for those recipients become COLLAPSED.
  // Returns how many deliveries were new.
  Expected<size_t> queue(const StoredNotification& n, const std::vector<std::string>& recipients, int64_t now_ms,
                         bool insert_notification);
  // The same writes inside the caller's begin() (a group commit of API requests).
  Expected<size_t> queue_rows(const StoredNotification& n, const std::vector<std::string>& recipients, int64_t now_ms,
                              bool insert_notification);

  // Deliveries.
  // QUEUED or SENT deliveries whose next_ms <= now, HIGH first, then by next_ms.
  Expected<std::vector<Delivery>> due(int64_t now_ms, size_t limit);
  Expected<std::optional<Delivery>> delivery(const std::string& notification_id, const std::string& recipient_id);
  Status update(const Delivery& d);
  // Live deliveries past their expiry: -> EXPIRED; returns them (recipient streaks are the caller's).
  Expected<std::vector<Delivery>> expire(int64_t now_ms, size_t limit);
  // A recipient's live deliveries (QUEUED/SENT/DELIVERED/OPENED, not expired) with seq > after.
  Expected<std::vector<Delivery>> inbox(const std::string& recipient_id, uint64_t after_seq, int64_t now_ms,
                                        size_t limit);
  Expected<std::vector<Delivery>> deliveries_of(const std::string& notification_id, size_t limit);
  Expected<std::vector<std::pair<int, uint64_t>>> state_counts(const std::string& notification_id);
  Expected<uint64_t> count_live();  // QUEUED + SENT, for the gauge

  // One transaction around many single-row writes (a tick's sends, a batch of receipts):
  // one fsync instead of one per row. Not around queue() or expire(), which open their own.
  std::unique_ptr<sqlite::Transaction> begin() { return std::make_unique<sqlite::Transaction>(*db_); }
  std::unique_ptr<sqlite::Savepoint> savepoint() { return std::make_unique<sqlite::Savepoint>(*db_); }

 private:
  explicit PushStore(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}
  Status migrate();
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace tidewire::push

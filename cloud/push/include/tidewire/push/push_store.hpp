#pragma once
// PushStore: where the PushService keeps recipients, notifications and per-recipient
// deliveries, so a notification is stored before the API answers and survives a kill -9
// at any point (docs/push.md, "Guarantees"). One interface; the backends live under
// platform/ and are chosen by the store URL's scheme (platform/open_push_store.hpp):
//   platform/sqlite/  SqlitePushStore, one file (WAL, synchronous=FULL).
// Every backend passes the same contract tests (tests/cloud/push/push_store_contract_test.cpp).
//
// Contract:
// - Not thread-safe: the PushService calls it under its own lock.
// - Recipients: put_recipient() inserts or replaces one by recipient_id, its tags replaced
//   by the new ones. delete_recipient() answers whether it existed and turns its QUEUED
//   and SENT deliveries into FAILED ("recipient deleted"); ended ones stay as they were.
//   set_streak() of an unknown recipient changes nothing and is not an error.
// - Notifications are found by id and by idempotency key. An empty key is no key: it is
//   never found, and any number of notifications may have none. Two notifications never
//   share a non-empty key: queueing a second one fails and writes nothing.
// - queue() writes one notification (insert_notification: the whole of it; otherwise only
//   its fan-out cursor and fanout_done) and a delivery to each recipient that has none of
//   it yet; a (notification, recipient) pair that exists is skipped, so a fan-out resumed
//   after a crash reaches no one twice. A new delivery is QUEUED, due at once (next_ms =
//   queued_ms = now), with the recipient's next inbox seq (1, 2, ... per recipient, never
//   reused), priority 1 for PUSH_PRIORITY_HIGH and 0 otherwise, and the notification's
//   expiry and collapse key. A non-empty collapse key first turns that recipient's QUEUED
//   and SENT deliveries with the same key into COLLAPSED (ended_ms = now, detail
//   "replaced by <new id>"). All of it or none of it is written; answers how many
//   deliveries are new.
// - Deliveries: due() lists QUEUED and SENT ones with next_ms <= now, priority 1 first,
//   then by next_ms. update() writes state, attempts, next_ms, the sent, delivered,
//   opened and ended times and detail of the delivery named by (notification, recipient).
//   expire() turns QUEUED and SENT ones with expires_ms <= now into EXPIRED (ended_ms =
//   now) and answers them so changed. inbox() lists one recipient's QUEUED, SENT,
//   DELIVERED and OPENED deliveries not expired at now with inbox_seq > after_seq,
//   by seq. deliveries_of() lists one notification's by recipient id. count_live()
//   counts QUEUED and SENT ones across every notification.
// - Transactions (tidewire/common/store_transaction.hpp): begin() groups many single-row
//   writes (update, set_streak, queue_rows) into one commit; savepoint(), inside a
//   begin(), groups one request's writes so they can be undone alone. put_recipient,
//   delete_recipient, queue and expire are transactions of their own and are not called
//   inside a begin().
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/common/store_transaction.hpp"
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
  int priority = 0;  // copied from the notification, for ordering: 1 = HIGH
  int64_t expires_ms = 0;
  std::string collapse_key;
  std::string detail;
};

class PushStore {
 public:
  virtual ~PushStore() = default;

  // Recipients.
  virtual Status put_recipient(const v1::Recipient& r) = 0;
  virtual Expected<std::optional<v1::Recipient>> recipient(const std::string& id) = 0;
  virtual Expected<bool> delete_recipient(const std::string& id) = 0;
  // Up to `limit` distinct recipient ids with any of `tags`, greater than `after`, ascending.
  virtual Expected<std::vector<std::string>> recipients_with_tags(const std::vector<std::string>& tags,
                                                                  const std::string& after, size_t limit) = 0;
  virtual Status set_streak(const std::string& id, uint32_t streak, bool silent) = 0;

  // Notifications.
  virtual Expected<std::optional<StoredNotification>> notification(const std::string& id) = 0;
  virtual Expected<std::optional<std::string>> notification_by_key(const std::string& idempotency_key) = 0;
  // Unfinished fan-outs, oldest (created_ms) first.
  virtual Expected<std::vector<StoredNotification>> pending_fanouts(size_t limit) = 0;
  // In a transaction of its own; answers how many deliveries were new.
  virtual Expected<size_t> queue(const StoredNotification& n, const std::vector<std::string>& recipients,
                                 int64_t now_ms, bool insert_notification) = 0;
  // The same writes inside the caller's begin() (a group commit of API requests).
  virtual Expected<size_t> queue_rows(const StoredNotification& n, const std::vector<std::string>& recipients,
                                      int64_t now_ms, bool insert_notification) = 0;

  // Deliveries.
  virtual Expected<std::vector<Delivery>> due(int64_t now_ms, size_t limit) = 0;
  virtual Expected<std::optional<Delivery>> delivery(const std::string& notification_id,
                                                     const std::string& recipient_id) = 0;
  virtual Status update(const Delivery& d) = 0;
  // Recipient streaks are the caller's.
  virtual Expected<std::vector<Delivery>> expire(int64_t now_ms, size_t limit) = 0;
  virtual Expected<std::vector<Delivery>> inbox(const std::string& recipient_id, uint64_t after_seq, int64_t now_ms,
                                                size_t limit) = 0;
  virtual Expected<std::vector<Delivery>> deliveries_of(const std::string& notification_id, size_t limit) = 0;
  // (state, count) for each state one of the notification's deliveries is in.
  virtual Expected<std::vector<std::pair<int, uint64_t>>> state_counts(const std::string& notification_id) = 0;
  virtual Expected<uint64_t> count_live() = 0;  // for the gauge

  // One commit around many single-row writes (a tick's sends, a batch of receipts, a
  // group of API requests): one fsync instead of one per row.
  virtual StoreTransactionPtr begin() = 0;
  // Nested inside begin(): one request's rows in a group commit, undone alone.
  virtual StoreTransactionPtr savepoint() = 0;
};
using PushStorePtr = std::unique_ptr<PushStore>;

}  // namespace tidewire::push

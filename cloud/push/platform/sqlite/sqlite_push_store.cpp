#include "sqlite/sqlite_push_store.hpp"

#include "sqlite/sqlite_store_transaction.hpp"

namespace tidewire::push {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS push_recipients (
  id TEXT PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS push_recipient_tags (
  tag TEXT NOT NULL, recipient_id TEXT NOT NULL, PRIMARY KEY (tag, recipient_id));
CREATE INDEX IF NOT EXISTS push_tags_by_recipient ON push_recipient_tags(recipient_id);
CREATE TABLE IF NOT EXISTS push_notifications (
  id TEXT PRIMARY KEY, request BLOB NOT NULL, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,
  idem_key TEXT, fingerprint BLOB, fanout_cursor TEXT NOT NULL DEFAULT '', fanout_done INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS push_notifications_key ON push_notifications(idem_key) WHERE idem_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS push_notifications_fanout ON push_notifications(created_ms) WHERE fanout_done = 0;
CREATE TABLE IF NOT EXISTS push_deliveries (
  notification_id TEXT NOT NULL, recipient_id TEXT NOT NULL, inbox_seq INTEGER NOT NULL,
  state INTEGER NOT NULL, attempts INTEGER NOT NULL, next_ms INTEGER NOT NULL,
  queued_ms INTEGER NOT NULL, sent_ms INTEGER NOT NULL, delivered_ms INTEGER NOT NULL,
  opened_ms INTEGER NOT NULL, ended_ms INTEGER NOT NULL, priority INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL, collapse_key TEXT NOT NULL, detail TEXT NOT NULL,
  PRIMARY KEY (notification_id, recipient_id));
CREATE INDEX IF NOT EXISTS push_deliveries_due ON push_deliveries(state, priority, next_ms);
CREATE INDEX IF NOT EXISTS push_deliveries_inbox ON push_deliveries(recipient_id, inbox_seq);
CREATE INDEX IF NOT EXISTS push_deliveries_expiry ON push_deliveries(state, expires_ms);
CREATE TABLE IF NOT EXISTS push_inbox (recipient_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
)sql";

constexpr const char* kDeliveryColumns =
    "notification_id, recipient_id, inbox_seq, state, attempts, next_ms, queued_ms, sent_ms, delivered_ms, "
    "opened_ms, ended_ms, priority, expires_ms, collapse_key, detail";

// QUEUED (1) and SENT (2): the states the sender still works on.
constexpr const char* kLiveStates = "(1, 2)";

Delivery read_delivery(const sqlite::Statement& s) {
  Delivery d;
  d.notification_id = s.column_text(0);
  d.recipient_id = s.column_text(1);
  d.inbox_seq = static_cast<uint64_t>(s.column_int(2));
  d.state = static_cast<v1::DeliveryState>(s.column_int(3));
  d.attempts = static_cast<uint32_t>(s.column_int(4));
  d.next_ms = s.column_int(5);
  d.queued_ms = s.column_int(6);
  d.sent_ms = s.column_int(7);
  d.delivered_ms = s.column_int(8);
  d.opened_ms = s.column_int(9);
  d.ended_ms = s.column_int(10);
  d.priority = static_cast<int>(s.column_int(11));
  d.expires_ms = s.column_int(12);
  d.collapse_key = s.column_text(13);
  d.detail = s.column_text(14);
  return d;
}

Expected<std::vector<Delivery>> read_deliveries(sqlite::Statement& s) {
  std::vector<Delivery> out;
  while (true) {
    auto row = s.step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(read_delivery(s));
  }
  return out;
}

StoredNotification read_notification(const sqlite::Statement& s) {
  StoredNotification n;
  n.id = s.column_text(0);
  (void)n.request.ParseFromString(s.column_blob(1));
  n.created_ms = s.column_int(2);
  n.expires_ms = s.column_int(3);
  n.idempotency_key = s.column_is_null(4) ? "" : s.column_text(4);
  n.fingerprint = s.column_blob(5);
  n.fanout_cursor = s.column_text(6);
  n.fanout_done = s.column_int(7) != 0;
  return n;
}

constexpr const char* kNotificationColumns =
    "id, request, created_ms, expires_ms, idem_key, fingerprint, fanout_cursor, fanout_done";

}  // namespace

Expected<std::unique_ptr<SqlitePushStore>> SqlitePushStore::open(const std::string& path) {
  auto db = sqlite::Database::open(path);
  if (!db) return db.error();
  std::unique_ptr<SqlitePushStore> store(new SqlitePushStore(std::move(*db)));
  if (auto st = store->migrate(); !st) return st.error();
  return store;
}

Status SqlitePushStore::migrate() {
  return db_->exec(kSchema);
}

StoreTransactionPtr SqlitePushStore::begin() {
  return std::make_unique<sqlite::StoreTransactionOnSqlite>(*db_);
}

StoreTransactionPtr SqlitePushStore::savepoint() {
  return std::make_unique<sqlite::StoreSavepointOnSqlite>(*db_);
}

Status SqlitePushStore::put_recipient(const v1::Recipient& r) {
  sqlite::Transaction tx(*db_);
  if (!tx.begun()) return tx.begun().error();
  auto put = db_->cached(
      "INSERT INTO push_recipients(id, body) VALUES(?1, ?2) "
      "ON CONFLICT(id) DO UPDATE SET body = excluded.body");
  if (!put) return put.error();
  std::string body;
  r.SerializeToString(&body);
  if (auto st = put->bind(1, r.recipient_id()).bind_blob(2, body).run(); !st) return st;
  auto clear = db_->cached("DELETE FROM push_recipient_tags WHERE recipient_id = ?1");
  if (!clear) return clear.error();
  if (auto st = clear->bind(1, r.recipient_id()).run(); !st) return st;
  auto tag = db_->cached("INSERT OR IGNORE INTO push_recipient_tags(tag, recipient_id) VALUES(?1, ?2)");
  if (!tag) return tag.error();
  for (const auto& t : r.tags()) {
    if (auto st = tag->bind(1, t).bind(2, r.recipient_id()).run(); !st) return st;
  }
  return tx.commit();
}

Expected<std::optional<v1::Recipient>> SqlitePushStore::recipient(const std::string& id) {
  auto s = db_->cached("SELECT body FROM push_recipients WHERE id = ?1");
  if (!s) return s.error();
  s->bind(1, id);
  auto row = s->step();
  if (!row) return row.error();
  if (!*row) return std::optional<v1::Recipient>();
  v1::Recipient r;
  if (!r.ParseFromString(s->column_blob(0))) return make_error(ErrorCode::kInternal, "unreadable recipient row " + id);
  return std::optional<v1::Recipient>(std::move(r));
}

Expected<bool> SqlitePushStore::delete_recipient(const std::string& id) {
  sqlite::Transaction tx(*db_);
  if (!tx.begun()) return tx.begun().error();
  auto del = db_->cached("DELETE FROM push_recipients WHERE id = ?1");
  if (!del) return del.error();
  if (auto st = del->bind(1, id).run(); !st) return st.error();
  bool existed = db_->changes() > 0;
  auto tags = db_->cached("DELETE FROM push_recipient_tags WHERE recipient_id = ?1");
  if (!tags) return tags.error();
  if (auto st = tags->bind(1, id).run(); !st) return st.error();
  auto fail = db_->cached(std::string("UPDATE push_deliveries SET state = 6, detail = 'recipient deleted' "
                                      "WHERE recipient_id = ?1 AND state IN ") +
                          kLiveStates);
  if (!fail) return fail.error();
  if (auto st = fail->bind(1, id).run(); !st) return st.error();
  if (auto st = tx.commit(); !st) return st.error();
  return existed;
}

Expected<std::vector<std::string>> SqlitePushStore::recipients_with_tags(const std::vector<std::string>& tags,
                                                                         const std::string& after, size_t limit) {
  std::string sql = "SELECT DISTINCT recipient_id FROM push_recipient_tags WHERE recipient_id > ?1 AND tag IN (";
  for (size_t i = 0; i < tags.size(); ++i) sql += (i ? ",?" : "?") + std::to_string(i + 3);
  sql += ") ORDER BY recipient_id LIMIT ?2";
  auto s = db_->cached(sql);
  if (!s) return s.error();
  s->bind(1, after).bind(2, static_cast<int64_t>(limit));
  for (size_t i = 0; i < tags.size(); ++i) s->bind(static_cast<int>(i + 3), tags[i]);
  std::vector<std::string> out;
  while (true) {
    auto row = s->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(s->column_text(0));
  }
  return out;
}

Status SqlitePushStore::set_streak(const std::string& id, uint32_t streak, bool silent) {
  auto r = recipient(id);
  if (!r) return r.error();
  if (!*r) return {};
  (*r)->set_unreceipted_streak(streak);
  (*r)->set_silent(silent);
  auto put = db_->cached("UPDATE push_recipients SET body = ?2 WHERE id = ?1");
  if (!put) return put.error();
  std::string body;
  (*r)->SerializeToString(&body);
  return put->bind(1, id).bind_blob(2, body).run();
}

Expected<std::optional<StoredNotification>> SqlitePushStore::notification(const std::string& id) {
  auto s = db_->cached(std::string("SELECT ") + kNotificationColumns + " FROM push_notifications WHERE id = ?1");
  if (!s) return s.error();
  s->bind(1, id);
  auto row = s->step();
  if (!row) return row.error();
  if (!*row) return std::optional<StoredNotification>();
  return std::optional<StoredNotification>(read_notification(*s));
}

Expected<std::optional<std::string>> SqlitePushStore::notification_by_key(const std::string& key) {
  auto s = db_->cached("SELECT id FROM push_notifications WHERE idem_key = ?1");
  if (!s) return s.error();
  s->bind(1, key);
  auto row = s->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(s->column_text(0));
}

Expected<std::vector<StoredNotification>> SqlitePushStore::pending_fanouts(size_t limit) {
  auto s = db_->cached(std::string("SELECT ") + kNotificationColumns +
                       " FROM push_notifications WHERE fanout_done = 0 ORDER BY created_ms LIMIT ?1");
  if (!s) return s.error();
  s->bind(1, static_cast<int64_t>(limit));
  std::vector<StoredNotification> out;
  while (true) {
    auto row = s->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(read_notification(*s));
  }
  return out;
}

Expected<size_t> SqlitePushStore::queue(const StoredNotification& n, const std::vector<std::string>& recipients,
                                        int64_t now_ms, bool insert_notification) {
  sqlite::Transaction tx(*db_);
  if (!tx.begun()) return tx.begun().error();
  auto added = queue_rows(n, recipients, now_ms, insert_notification);
  if (!added) return added.error();
  if (auto st = tx.commit(); !st) return st.error();
  return added;
}

Expected<size_t> SqlitePushStore::queue_rows(const StoredNotification& n, const std::vector<std::string>& recipients,
                                             int64_t now_ms, bool insert_notification) {
  std::string request;
  n.request.SerializeToString(&request);
  auto upsert = db_->cached(
      insert_notification
          ? "INSERT INTO push_notifications(id, request, created_ms, expires_ms, idem_key, fingerprint, fanout_cursor, "
            "fanout_done) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
          : "UPDATE push_notifications SET fanout_cursor = ?7, fanout_done = ?8 WHERE id = ?1");
  if (!upsert) return upsert.error();
  upsert->bind(1, n.id);
  if (insert_notification) {
    upsert->bind_blob(2, request).bind(3, n.created_ms).bind(4, n.expires_ms).bind_blob(6, n.fingerprint);
    if (n.idempotency_key.empty()) {
      upsert->bind_null(5);
    } else {
      upsert->bind(5, n.idempotency_key);
    }
  }
  upsert->bind(7, n.fanout_cursor).bind(8, static_cast<int64_t>(n.fanout_done ? 1 : 0));
  if (auto st = upsert->run(); !st) return st.error();

  auto seq = db_->cached(
      "INSERT INTO push_inbox(recipient_id, last_seq) VALUES(?1, 1) "
      "ON CONFLICT(recipient_id) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq");
  auto collapse = db_->cached(std::string("UPDATE push_deliveries SET state = 7, ended_ms = ?3, detail = ?4 "
                                          "WHERE recipient_id = ?1 AND collapse_key = ?2 AND collapse_key != '' "
                                          "AND state IN ") +
                              kLiveStates);
  auto insert = db_->cached(std::string("INSERT OR IGNORE INTO push_deliveries(") + kDeliveryColumns +
                            ") VALUES(?1, ?2, ?3, 1, 0, ?4, ?4, 0, 0, 0, 0, ?5, ?6, ?7, '')");
  auto exists = db_->cached("SELECT 1 FROM push_deliveries WHERE notification_id = ?1 AND recipient_id = ?2");
  if (!seq) return seq.error();
  if (!collapse) return collapse.error();
  if (!insert) return insert.error();
  if (!exists) return exists.error();
  size_t added = 0;
  const int priority = n.request.priority() == v1::PUSH_PRIORITY_HIGH ? 1 : 0;
  for (const auto& rid : recipients) {
    exists->bind(1, n.id).bind(2, rid);
    auto found = exists->step();
    exists->reset();
    if (!found) return found.error();
    if (*found) continue;  // a resumed fan-out reaching someone already queued
    if (!n.request.collapse_key().empty()) {
      if (auto st = collapse->bind(1, rid)
                        .bind(2, n.request.collapse_key())
                        .bind(3, now_ms)
                        .bind(4, "replaced by " + n.id)
                        .run();
          !st) {
        return st.error();
      }
    }
    seq->bind(1, rid);
    auto got = seq->step();
    if (!got) return got.error();
    int64_t inbox_seq = seq->column_int(0);
    seq->reset();
    if (auto st = insert->bind(1, n.id)
                      .bind(2, rid)
                      .bind(3, inbox_seq)
                      .bind(4, now_ms)
                      .bind(5, static_cast<int64_t>(priority))
                      .bind(6, n.expires_ms)
                      .bind(7, n.request.collapse_key())
                      .run();
        !st) {
      return st.error();
    }
    ++added;
  }
  return added;
}

Expected<std::vector<Delivery>> SqlitePushStore::due(int64_t now_ms, size_t limit) {
  auto s = db_->cached(std::string("SELECT ") + kDeliveryColumns + " FROM push_deliveries WHERE state IN " +
                       kLiveStates + " AND next_ms <= ?1 ORDER BY priority DESC, next_ms LIMIT ?2");
  if (!s) return s.error();
  s->bind(1, now_ms).bind(2, static_cast<int64_t>(limit));
  return read_deliveries(*s);
}

Expected<std::optional<Delivery>> SqlitePushStore::delivery(const std::string& notification_id,
                                                            const std::string& recipient_id) {
  auto s = db_->cached(std::string("SELECT ") + kDeliveryColumns +
                       " FROM push_deliveries WHERE notification_id = ?1 AND recipient_id = ?2");
  if (!s) return s.error();
  s->bind(1, notification_id).bind(2, recipient_id);
  auto rows = read_deliveries(*s);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Delivery>();
  return std::optional<Delivery>(std::move(rows->front()));
}

Status SqlitePushStore::update(const Delivery& d) {
  auto s = db_->cached(
      "UPDATE push_deliveries SET state = ?3, attempts = ?4, next_ms = ?5, sent_ms = ?6, delivered_ms = ?7, "
      "opened_ms = ?8, ended_ms = ?9, detail = ?10 WHERE notification_id = ?1 AND recipient_id = ?2");
  if (!s) return s.error();
  return s->bind(1, d.notification_id)
      .bind(2, d.recipient_id)
      .bind(3, static_cast<int64_t>(d.state))
      .bind(4, static_cast<int64_t>(d.attempts))
      .bind(5, d.next_ms)
      .bind(6, d.sent_ms)
      .bind(7, d.delivered_ms)
      .bind(8, d.opened_ms)
      .bind(9, d.ended_ms)
      .bind(10, d.detail)
      .run();
}

Expected<std::vector<Delivery>> SqlitePushStore::expire(int64_t now_ms, size_t limit) {
  auto s = db_->cached(std::string("SELECT ") + kDeliveryColumns + " FROM push_deliveries WHERE state IN " +
                       kLiveStates + " AND expires_ms <= ?1 LIMIT ?2");
  if (!s) return s.error();
  s->bind(1, now_ms).bind(2, static_cast<int64_t>(limit));
  auto rows = read_deliveries(*s);
  if (!rows) return rows.error();
  sqlite::Transaction tx(*db_);
  if (!tx.begun()) return tx.begun().error();
  for (auto& d : *rows) {
    d.state = v1::DELIVERY_STATE_EXPIRED;
    d.ended_ms = now_ms;
    if (auto st = update(d); !st) return st.error();
  }
  if (auto st = tx.commit(); !st) return st.error();
  return rows;
}

Expected<std::vector<Delivery>> SqlitePushStore::inbox(const std::string& recipient_id, uint64_t after_seq,
                                                       int64_t now_ms, size_t limit) {
  auto s = db_->cached(std::string("SELECT ") + kDeliveryColumns +
                       " FROM push_deliveries WHERE recipient_id = ?1 AND inbox_seq > ?2 AND state IN (1, 2, 3, 4) "
                       "AND expires_ms > ?3 ORDER BY inbox_seq LIMIT ?4");
  if (!s) return s.error();
  s->bind(1, recipient_id)
      .bind(2, static_cast<int64_t>(after_seq))
      .bind(3, now_ms)
      .bind(4, static_cast<int64_t>(limit));
  return read_deliveries(*s);
}

Expected<std::vector<Delivery>> SqlitePushStore::deliveries_of(const std::string& notification_id, size_t limit) {
  auto s = db_->cached(std::string("SELECT ") + kDeliveryColumns +
                       " FROM push_deliveries WHERE notification_id = ?1 ORDER BY recipient_id LIMIT ?2");
  if (!s) return s.error();
  s->bind(1, notification_id).bind(2, static_cast<int64_t>(limit));
  return read_deliveries(*s);
}

Expected<std::vector<std::pair<int, uint64_t>>> SqlitePushStore::state_counts(const std::string& notification_id) {
  auto s = db_->cached("SELECT state, COUNT(*) FROM push_deliveries WHERE notification_id = ?1 GROUP BY state");
  if (!s) return s.error();
  s->bind(1, notification_id);
  std::vector<std::pair<int, uint64_t>> out;
  while (true) {
    auto row = s->step();
    if (!row) return row.error();
    if (!*row) break;
    out.emplace_back(static_cast<int>(s->column_int(0)), static_cast<uint64_t>(s->column_int(1)));
  }
  return out;
}

Expected<uint64_t> SqlitePushStore::count_live() {
  auto s = db_->cached(std::string("SELECT COUNT(*) FROM push_deliveries WHERE state IN ") + kLiveStates);
  if (!s) return s.error();
  auto row = s->step();
  if (!row) return row.error();
  return static_cast<uint64_t>(s->column_int(0));
}

}  // namespace tidewire::push

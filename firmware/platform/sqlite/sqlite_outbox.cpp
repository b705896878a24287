#include "sqlite_outbox.hpp"

#include <algorithm>

namespace tidewire::firmware {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS outbox(
  seq INTEGER PRIMARY KEY,
  priority INTEGER NOT NULL,
  channel INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  envelope BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS results(
  command_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  envelope BLOB NOT NULL);
)sql";

constexpr const char* kSeqCounter = "seq";
constexpr const char* kSessionCounter = "session_seq";

int64_t as_sql(uint64_t v) {
  return static_cast<int64_t>(v);
}

v1::Priority priority_from_sql(int64_t v) {
  return v1::Priority_IsValid(static_cast<int>(v)) ? static_cast<v1::Priority>(v) : v1::PRIORITY_NORMAL;
}

}  // namespace

SqliteOutbox::SqliteOutbox(std::unique_ptr<sqlite::Database> db, OutboxLimits limits, Clock& clock,
                           MetricsRegistry& metrics)
    : db_(std::move(db)), limits_(limits), clock_(clock), index_(metrics) {}

Expected<std::unique_ptr<SqliteOutbox>> SqliteOutbox::open(const std::string& path, OutboxLimits limits, Clock& clock,
                                                           MetricsRegistry& metrics) {
  auto db = sqlite::Database::open(path, /*synchronous_full=*/true);
  if (!db) return db.error().with_context("outbox");
  std::unique_ptr<SqliteOutbox> outbox(new SqliteOutbox(std::move(*db), limits, clock, metrics));
  if (auto st = outbox->load(); !st) return st.error().with_context("outbox " + path);
  return outbox;
}

Status SqliteOutbox::load() {
  if (auto st = db_->exec(kSchema); !st) return st;
  struct Prepared {
    sqlite::Statement* into;
    const char* sql;
  };
  const Prepared statements[] = {
      {&insert_row_, "INSERT INTO outbox(seq, priority, channel, created_ms, envelope) VALUES(?, ?, ?, ?, ?)"},
      {&delete_row_, "DELETE FROM outbox WHERE seq = ?"},
      {&delete_up_to_, "DELETE FROM outbox WHERE seq <= ?"},
      {&select_pending_,
       "SELECT seq, priority, channel, created_ms, envelope FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?"},
      {&set_counter_,
       "INSERT INTO counters(name, value) VALUES(?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value"},
      {&put_result_, "INSERT OR REPLACE INTO results(command_id, seq, envelope) VALUES(?, ?, ?)"},
      {&delete_result_, "DELETE FROM results WHERE command_id = ?"},
  };
  for (const auto& p : statements) {
    auto st = db_->prepare(p.sql);
    if (!st) return st.error();
    *p.into = std::move(*st);
  }

  auto counters = db_->prepare("SELECT name, value FROM counters");
  if (!counters) return counters.error();
  while (true) {
    auto row = counters->step();
    if (!row) return row.error();
    if (!*row) break;
    std::string name = counters->column_text(0);
    auto value = static_cast<uint64_t>(counters->column_int(1));
    if (name == kSeqCounter) last_seq_ = value;
    if (name == kSessionCounter) session_seq_ = value;
  }

  auto rows = db_->prepare("SELECT seq, priority, length(envelope), created_ms FROM outbox ORDER BY seq");
  if (!rows) return rows.error();
  while (true) {
    auto row = rows->step();
    if (!row) return row.error();
    if (!*row) break;
    auto seq = static_cast<uint64_t>(rows->column_int(0));
    index_.add(
        seq, {priority_from_sql(rows->column_int(1)), static_cast<uint64_t>(rows->column_int(2)), rows->column_int(3)});
    // The counter is written with every insert, so this only matters for a file whose
    // counters row was lost; seqs must still never be reused.
    last_seq_ = std::max(last_seq_, seq);
  }

  auto results = db_->prepare("SELECT command_id, seq, envelope FROM results ORDER BY seq");
  if (!results) return results.error();
  while (true) {
    auto row = results->step();
    if (!row) return row.error();
    if (!*row) break;
    std::string id = results->column_text(0);
    results_[id] = {static_cast<uint64_t>(results->column_int(1)), results->column_blob(2)};
    result_order_.push_back(id);
  }
  return {};
}

Status SqliteOutbox::set_counter(const char* name, uint64_t value) {
  return set_counter_.bind(1, std::string_view(name)).bind(2, as_sql(value)).run();
}

Status SqliteOutbox::delete_rows(const std::vector<uint64_t>& seqs) {
  for (uint64_t seq : seqs) {
    if (auto st = delete_row_.bind(1, as_sql(seq)).run(); !st) return st;
  }
  return {};
}

Expected<uint64_t> SqliteOutbox::append(OutboxEntry entry) {
  uint64_t bytes = entry.envelope.size();
  auto victims = index_.plan_room(bytes, entry.priority, limits_.max_bytes);
  if (!victims) {
    index_.refuse(entry.priority);
    return make_error(ErrorCode::kTooLarge, "outbox full of higher-priority rows (" +
                                                std::to_string(index_.stats().bytes) + " of " +
                                                std::to_string(limits_.max_bytes) + " bytes held)");
  }
  uint64_t seq = last_seq_ + 1;
  int64_t now = clock_.wall_ms();
  std::vector<std::string> forget;  // remembered results pushed out by this one
  {
    sqlite::Transaction tx(*db_);
    if (!tx.begun()) return tx.begun().error().with_context("outbox append");
    if (auto st = delete_rows(*victims); !st) return st.error().with_context("outbox evict");
    auto st = insert_row_.bind(1, as_sql(seq))
                  .bind(2, int64_t{entry.priority})
                  .bind(3, int64_t{static_cast<int>(entry.channel)})
                  .bind(4, now)
                  .bind_blob(5, entry.envelope)
                  .run();
    if (!st) return st.error().with_context("outbox insert");
    if (auto cst = set_counter(kSeqCounter, seq); !cst) return cst.error().with_context("outbox seq counter");
    if (!entry.command_id.empty()) {
      auto rst = put_result_.bind(1, std::string_view(entry.command_id))
                     .bind(2, as_sql(seq))
                     .bind_blob(3, entry.envelope)
                     .run();
      if (!rst) return rst.error().with_context("outbox remember result");
      size_t held = result_order_.size() + (results_.count(entry.command_id) ? 0 : 1);
      for (size_t i = 0; held > limits_.remembered_results && i < result_order_.size(); ++i, --held) {
        forget.push_back(result_order_[i]);
        if (auto dst = delete_result_.bind(1, std::string_view(result_order_[i])).run(); !dst)
          return dst.error().with_context("outbox forget result");
      }
    }
    if (auto cst = tx.commit(); !cst) return cst.error().with_context("outbox commit");
  }
  // Committed: only now does the in-memory view move.
  last_seq_ = seq;
  index_.drop(*victims, DropReason::kFull);
  index_.add(seq, {entry.priority, bytes, now});
  if (!entry.command_id.empty()) {
    for (const auto& id : forget) results_.erase(id);
    result_order_.erase(result_order_.begin(), result_order_.begin() + static_cast<std::ptrdiff_t>(forget.size()));
    if (results_.count(entry.command_id) == 0) result_order_.push_back(entry.command_id);
    results_[entry.command_id] = {seq, std::move(entry.envelope)};
  }
  return seq;
}

Expected<std::vector<OutboxRecord>> SqliteOutbox::pending(uint64_t after_seq, size_t limit) {
  std::vector<OutboxRecord> out;
  select_pending_.bind(1, as_sql(after_seq)).bind(2, static_cast<int64_t>(limit));
  while (true) {
    auto row = select_pending_.step();
    if (!row) return row.error().with_context("outbox read");
    if (!*row) break;
    OutboxRecord r;
    r.seq = static_cast<uint64_t>(select_pending_.column_int(0));
    r.priority = priority_from_sql(select_pending_.column_int(1));
    r.channel = select_pending_.column_int(2) == 1 ? OutboxChannel::kResult : OutboxChannel::kEvent;
    r.created_ms = select_pending_.column_int(3);
    r.envelope = select_pending_.column_blob(4);
    out.push_back(std::move(r));
  }
  select_pending_.reset();
  return out;
}

Expected<size_t> SqliteOutbox::ack_up_to(uint64_t seq) {
  if (index_.empty() || index_.lowest() > seq) return size_t{0};
  if (auto st = delete_up_to_.bind(1, as_sql(seq)).run(); !st) return st.error().with_context("outbox ack");
  return index_.ack_up_to(seq);
}

Expected<size_t> SqliteOutbox::expire() {
  auto old = index_.plan_expiry(clock_.wall_ms(), limits_.max_age_ms);
  if (old.empty()) return size_t{0};
  {
    sqlite::Transaction tx(*db_);
    if (!tx.begun()) return tx.begun().error().with_context("outbox expire");
    if (auto st = delete_rows(old); !st) return st.error().with_context("outbox expire");
    if (auto st = tx.commit(); !st) return st.error().with_context("outbox expire");
  }
  index_.drop(old, DropReason::kAge);
  return old.size();
}

uint64_t SqliteOutbox::floor_seq() const {
  return index_.empty() ? last_seq_ + 1 : index_.lowest();
}

Expected<uint64_t> SqliteOutbox::next_session_seq() {
  uint64_t next = session_seq_ + 1;
  if (auto st = set_counter(kSessionCounter, next); !st) return st.error().with_context("outbox session counter");
  session_seq_ = next;
  return next;
}

std::optional<RememberedResult> SqliteOutbox::recall_result(const std::string& command_id) const {
  auto it = results_.find(command_id);
  if (it == results_.end()) return std::nullopt;
  return it->second;
}

}  // namespace tidewire::firmware

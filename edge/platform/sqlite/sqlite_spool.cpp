#include "sqlite/sqlite_spool.hpp"

#include <charconv>

namespace tidewire::edge {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS spool(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  device TEXT NOT NULL,
  boot TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  rank INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  bytes BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS spool_by_rank ON spool(rank, id);
CREATE INDEX IF NOT EXISTS spool_by_age ON spool(received_ms);
CREATE INDEX IF NOT EXISTS spool_status ON spool(device) WHERE kind = 3;
CREATE TABLE IF NOT EXISTS cursors(
  device TEXT NOT NULL,
  boot TEXT NOT NULL,
  watermark INTEGER NOT NULL,
  above TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY(device, boot));
CREATE TABLE IF NOT EXISTS devices(
  device TEXT PRIMARY KEY,
  site TEXT NOT NULL,
  kind INTEGER NOT NULL);
)sql";

int64_t i64(uint64_t v) { return static_cast<int64_t>(v); }

// Seqs above the watermark as "7,9,12": small in practice (one entry per message waiting
// behind a gap) and readable with the sqlite3 shell at 3 a.m.
std::string encode_above(const std::set<uint64_t>& above) {
  std::string out;
  for (uint64_t s : above) {
    if (!out.empty()) out += ',';
    out += std::to_string(s);
  }
  return out;
}

std::set<uint64_t> decode_above(const std::string& text) {
  std::set<uint64_t> out;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    uint64_t v = 0;
    auto r = std::from_chars(p, end, v);
    if (r.ec != std::errc()) break;  // a damaged list only costs re-spooling duplicates
    out.insert(v);
    p = r.ptr;
    if (p < end && *p == ',') ++p;
  }
  return out;
}

// Deletes one row by id inside the current transaction; returns its byte size, or -1 if
// it was already gone.
Expected<int64_t> delete_one(sqlite::Statement& stmt, int64_t id) {
  stmt.bind(1, id);
  auto r = stmt.step();
  if (!r) return r.error();
  int64_t size = *r ? stmt.column_int(0) : -1;
  if (*r) {
    auto done = stmt.step();  // finish the statement so the delete is complete
    if (!done) return done.error();
  }
  stmt.reset();
  return size;
}

}  // namespace

Expected<std::unique_ptr<SqliteSpool>> SqliteSpool::open(const Options& options) {
  std::unique_ptr<SqliteSpool> spool(new SqliteSpool(options));
  if (auto st = spool->init(); !st) return st.error().with_context("open spool " + options.path);
  return spool;
}

Status SqliteSpool::init() {
  auto db = sqlite::Database::open(options_.path, /*synchronous_full=*/true);
  if (!db) return db.error();
  db_ = std::move(*db);
  if (auto st = db_->exec(kSchema); !st) return st;

  struct Prep {
    sqlite::Statement* stmt;
    const char* sql;
  };
  const Prep preps[] = {
      {&insert_row_,
       "INSERT INTO spool(device, boot, seq, kind, rank, received_ms, bytes) VALUES(?,?,?,?,?,?,?)"},
      {&delete_status_, "DELETE FROM spool WHERE device = ? AND kind = 3 RETURNING length(bytes)"},
      {&delete_id_, "DELETE FROM spool WHERE id = ? RETURNING length(bytes)"},
      {&select_after_,
       "SELECT id, device, boot, seq, kind, rank, received_ms, bytes FROM spool WHERE id > ? ORDER BY id LIMIT ?"},
      {&select_rank_, "SELECT id FROM spool WHERE rank = ? ORDER BY id LIMIT 256"},
      {&upsert_cursor_,
       "INSERT INTO cursors(device, boot, watermark, above, updated_ms) VALUES(?,?,?,?,?) "
       "ON CONFLICT(device, boot) DO UPDATE SET watermark = excluded.watermark, above = excluded.above, "
       "updated_ms = excluded.updated_ms"},
      {&upsert_device_,
       "INSERT INTO devices(device, site, kind) VALUES(?,?,?) "
       "ON CONFLICT(device) DO UPDATE SET site = excluded.site, kind = excluded.kind"},
  };
  for (const auto& p : preps) {
    auto stmt = db_->prepare(p.sql);
    if (!stmt) return stmt.error();
    *p.stmt = std::move(*stmt);
  }

  auto count = db_->prepare("SELECT COUNT(*), COALESCE(SUM(length(bytes)), 0), COALESCE(MAX(id), 0) FROM spool");
  if (!count) return count.error();
  auto row = count->step();
  if (!row) return row.error();
  stats_.rows = static_cast<uint64_t>(count->column_int(0));
  stats_.bytes = static_cast<uint64_t>(count->column_int(1));
  stats_.max_id = count->column_int(2);
  return {};
}

Expected<DropCounts> SqliteSpool::enforce_bytes(SpoolStats& stats) {
  DropCounts dropped;
  for (DropRank rank : kDropOrder) {
    while (stats.bytes > options_.max_bytes) {
      select_rank_.bind(1, static_cast<int64_t>(rank));
      std::vector<int64_t> ids;
      while (true) {
        auto r = select_rank_.step();
        if (!r) {
          select_rank_.reset();
          return r.error();
        }
        if (!*r) break;
        ids.push_back(select_rank_.column_int(0));
      }
      select_rank_.reset();
      if (ids.empty()) break;
      for (int64_t id : ids) {
        if (stats.bytes <= options_.max_bytes) break;
        auto size = delete_one(delete_id_, id);
        if (!size) return size.error();
        if (*size < 0) continue;
        stats.bytes -= std::min<uint64_t>(stats.bytes, static_cast<uint64_t>(*size));
        stats.rows -= std::min<uint64_t>(stats.rows, 1);
        dropped.by_rank[static_cast<size_t>(rank)]++;
      }
    }
  }
  return dropped;
}

Expected<AppendResult> SqliteSpool::append(const SpoolWrite& write) {
  AppendResult result;
  SpoolStats next = stats_;
  sqlite::Transaction tx(*db_);
  if (!tx.begun()) return tx.begun().error().with_context("spool append");

  for (const auto& r : write.rows) {
    if (r.kind == RowKind::kStatus) {
      // Latest wins: the device's older status row (sent or not) is superseded.
      delete_status_.bind(1, r.device);
      while (true) {
        auto s = delete_status_.step();
        if (!s) {
          delete_status_.reset();
          return s.error().with_context("spool append: replace status");
        }
        if (!*s) break;
        next.bytes -= std::min<uint64_t>(next.bytes, static_cast<uint64_t>(delete_status_.column_int(0)));
        next.rows -= std::min<uint64_t>(next.rows, 1);
        result.status_replaced++;
      }
      delete_status_.reset();
    }
    insert_row_.bind(1, r.device)
        .bind(2, r.boot)
        .bind(3, i64(r.seq))
        .bind(4, static_cast<int64_t>(r.kind))
        .bind(5, static_cast<int64_t>(r.rank))
        .bind(6, r.received_ms)
        .bind_blob(7, r.bytes);
    if (auto st = insert_row_.run(); !st) return st.error().with_context("spool append: insert");
    int64_t id = db_->last_insert_rowid();
    result.ids.push_back(id);
    next.rows++;
    next.bytes += r.bytes.size();
    next.max_id = std::max(next.max_id, id);
  }
  for (const auto& c : write.cursors) {
    upsert_cursor_.bind(1, c.key.device)
        .bind(2, c.key.boot)
        .bind(3, i64(c.state.watermark))
        .bind(4, encode_above(c.state.above))
        .bind(5, c.state.updated_ms);
    if (auto st = upsert_cursor_.run(); !st) return st.error().with_context("spool append: cursor");
  }
  for (const auto& d : write.devices) {
    upsert_device_.bind(1, d.device_id).bind(2, d.site).bind(3, static_cast<int64_t>(d.kind));
    if (auto st = upsert_device_.run(); !st) return st.error().with_context("spool append: device");
  }
  auto dropped = enforce_bytes(next);
  if (!dropped) return dropped.error().with_context("spool append: enforce byte bound");
  result.dropped = *dropped;
  if (auto st = tx.commit(); !st) return st.error().with_context("spool append: commit");
  stats_ = next;
  return result;
}

Expected<std::vector<SpoolRow>> SqliteSpool::read_after(int64_t after_id, size_t max_rows, size_t max_bytes) {
  std::vector<SpoolRow> out;
  select_after_.bind(1, after_id).bind(2, static_cast<int64_t>(max_rows));
  size_t bytes = 0;
  while (true) {
    auto r = select_after_.step();
    if (!r) {
      select_after_.reset();
      return r.error().with_context("spool read");
    }
    if (!*r) break;
    SpoolRow row;
    row.id = select_after_.column_int(0);
    row.row.device = select_after_.column_text(1);
    row.row.boot = select_after_.column_text(2);
    row.row.seq = static_cast<uint64_t>(select_after_.column_int(3));
    row.row.kind = static_cast<RowKind>(select_after_.column_int(4));
    row.row.rank = static_cast<DropRank>(select_after_.column_int(5));
    row.row.received_ms = select_after_.column_int(6);
    row.row.bytes = select_after_.column_blob(7);
    if (!out.empty() && bytes + row.row.bytes.size() > max_bytes) break;
    bytes += row.row.bytes.size();
    out.push_back(std::move(row));
  }
  select_after_.reset();
  return out;
}

Expected<uint64_t> SqliteSpool::remove(const std::vector<int64_t>& ids) {
  if (ids.empty()) return uint64_t{0};
  SpoolStats next = stats_;
  uint64_t removed = 0;
  sqlite::Transaction tx(*db_);
  if (!tx.begun()) return tx.begun().error().with_context("spool remove");
  for (int64_t id : ids) {
    auto size = delete_one(delete_id_, id);
    if (!size) return size.error().with_context("spool remove");
    if (*size < 0) continue;
    next.bytes -= std::min<uint64_t>(next.bytes, static_cast<uint64_t>(*size));
    next.rows -= std::min<uint64_t>(next.rows, 1);
    removed++;
  }
  if (auto st = tx.commit(); !st) return st.error().with_context("spool remove: commit");
  stats_ = next;
  return removed;
}

Expected<DropCounts> SqliteSpool::expire(int64_t cutoff_ms) {
  DropCounts dropped;
  SpoolStats next = stats_;
  sqlite::Transaction tx(*db_);
  if (!tx.begun()) return tx.begun().error().with_context("spool expire");
  auto old = db_->prepare(
      "DELETE FROM spool WHERE id IN (SELECT id FROM spool WHERE received_ms < ? LIMIT 100000) "
      "RETURNING rank, length(bytes)");
  if (!old) return old.error();
  old->bind(1, cutoff_ms);
  while (true) {
    auto r = old->step();
    if (!r) return r.error().with_context("spool expire");
    if (!*r) break;
    auto rank = static_cast<size_t>(old->column_int(0));
    if (rank < dropped.by_rank.size()) dropped.by_rank[rank]++;
    next.bytes -= std::min<uint64_t>(next.bytes, static_cast<uint64_t>(old->column_int(1)));
    next.rows -= std::min<uint64_t>(next.rows, 1);
  }
  auto cursors = db_->prepare("DELETE FROM cursors WHERE updated_ms < ?");
  if (!cursors) return cursors.error();
  cursors->bind(1, cutoff_ms);
  if (auto st = cursors->run(); !st) return st.error().with_context("spool expire: cursors");
  if (auto st = tx.commit(); !st) return st.error().with_context("spool expire: commit");
  stats_ = next;
  return dropped;
}

Expected<std::vector<CursorRecord>> SqliteSpool::load_cursors() {
  auto stmt = db_->prepare("SELECT device, boot, watermark, above, updated_ms FROM cursors");
  if (!stmt) return stmt.error();
  std::vector<CursorRecord> out;
  while (true) {
    auto r = stmt->step();
    if (!r) return r.error().with_context("load cursors");
    if (!*r) break;
    CursorRecord c;
    c.key.device = stmt->column_text(0);
    c.key.boot = stmt->column_text(1);
    c.state.watermark = static_cast<uint64_t>(stmt->column_int(2));
    c.state.above = decode_above(stmt->column_text(3));
    c.state.updated_ms = stmt->column_int(4);
    out.push_back(std::move(c));
  }
  return out;
}

Expected<std::vector<topics::DeviceAddress>> SqliteSpool::load_devices() {
  auto stmt = db_->prepare("SELECT device, site, kind FROM devices");
  if (!stmt) return stmt.error();
  std::vector<topics::DeviceAddress> out;
  while (true) {
    auto r = stmt->step();
    if (!r) return r.error().with_context("load devices");
    if (!*r) break;
    topics::DeviceAddress d;
    d.device_id = stmt->column_text(0);
    d.site = stmt->column_text(1);
    auto kind = static_cast<int>(stmt->column_int(2));
    d.kind = v1::DeviceKind_IsValid(kind) ? static_cast<v1::DeviceKind>(kind) : v1::DEVICE_KIND_UNSPECIFIED;
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace tidewire::edge

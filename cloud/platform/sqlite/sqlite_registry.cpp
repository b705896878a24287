#include "sqlite_registry.hpp"

#include <algorithm>

#include "tidewire/protocols/codec.hpp"
#include "tidewire/protocols/json.hpp"

namespace tidewire::cloud {
namespace {

// 2: commands.body (structured command arguments such as dispatch offers).
constexpr int kSchemaVersion = 2;

// Events are unique on (device_id, seq, boot_id): the dedup key of protocol.md, with seq
// second so the same index also serves "events of a device after seq N, by seq".
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS devices (
  device_id TEXT PRIMARY KEY,
  kind INTEGER NOT NULL,
  site TEXT NOT NULL,
  edge_id TEXT NOT NULL,
  online INTEGER NOT NULL DEFAULT 0,
  session_seq INTEGER NOT NULL DEFAULT -1,
  last_seen_ms INTEGER NOT NULL DEFAULT 0,
  boot_id TEXT NOT NULL DEFAULT '',
  highest_seq INTEGER NOT NULL DEFAULT 0,
  events_stored INTEGER NOT NULL DEFAULT 0,
  last_status BLOB,
  last_status_ms INTEGER NOT NULL DEFAULT 0,
  last_status_device_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
  device_id TEXT NOT NULL,
  boot_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  priority INTEGER NOT NULL,
  device_time_ms INTEGER NOT NULL,
  edge_received_ms INTEGER NOT NULL,
  stored_ms INTEGER NOT NULL,
  attributes BLOB,
  UNIQUE(device_id, seq, boot_id)
);
CREATE TABLE IF NOT EXISTS commands (
  command_id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  name TEXT NOT NULL,
  args BLOB,
  state INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  deadline_ms INTEGER NOT NULL,
  sent_ms INTEGER NOT NULL DEFAULT 0,
  result BLOB,
  completed_ms INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT UNIQUE,
  request_fingerprint BLOB,
  body BLOB
);
CREATE INDEX IF NOT EXISTS commands_by_state ON commands(state, created_ms);
)sql";

constexpr const char* kDeviceColumns =
    "device_id, kind, site, edge_id, online, session_seq, last_seen_ms, boot_id, highest_seq, events_stored, "
    "last_status, last_status_ms, last_status_device_ms";

// Reads the columns of kDeviceColumns (from index 0) into an API Device.
v1::Device device_from_row(const sqlite::Statement& st, int64_t online_threshold_ms) {
  v1::Device d;
  d.set_device_id(st.column_text(0));
  d.set_kind(static_cast<v1::DeviceKind>(st.column_int(1)));
  d.set_site(st.column_text(2));
  d.set_edge_id(st.column_text(3));
  d.set_last_seen_ms(st.column_int(6));
  d.set_online(st.column_int(4) != 0 && d.last_seen_ms() >= online_threshold_ms);
  d.set_boot_id(st.column_text(7));
  d.set_highest_seq(static_cast<uint64_t>(st.column_int(8)));
  d.set_events_stored(protocols::count32(static_cast<uint64_t>(st.column_int(9))));
  if (!st.column_is_null(10)) {
    // Written by us from a validated message; a row that no longer parses is shown without it.
    std::string blob = st.column_blob(10);
    if (!d.mutable_last_status()->ParseFromString(blob)) d.clear_last_status();
  }
  d.set_last_status_ms(st.column_int(11));
  return d;
}

}  // namespace

Expected<std::unique_ptr<SqliteRegistry>> SqliteRegistry::open(const SqliteRegistryOptions& options, Clock& clock) {
  std::unique_ptr<SqliteRegistry> reg(new SqliteRegistry(options, clock));
  auto writer = sqlite::Database::open(options.path, true);
  if (!writer) return writer.error().with_context("open fleet registry");
  reg->writer_ = std::move(*writer);

  auto version = reg->writer_->prepare("PRAGMA user_version");
  if (!version) return version.error();
  auto has = version->step();
  if (!has) return has.error();
  int64_t found = *has ? version->column_int(0) : 0;
  version->reset();
  if (found > kSchemaVersion) {
    return make_error(ErrorCode::kInvalidArgument, options.path + " has schema version " + std::to_string(found) +
                                                       ", newer than this build's " + std::to_string(kSchemaVersion) +
                                                       " (run a newer tidewire-cloud or use another --db-path)");
  }
  if (auto st = reg->writer_->exec(kSchema); !st) return st.error().with_context("create schema in " + options.path);
  if (found == 1) {
    // Version 1 files predate command bodies; CREATE TABLE IF NOT EXISTS left them as they were.
    if (auto st = reg->writer_->exec("ALTER TABLE commands ADD COLUMN body BLOB"); !st) {
      return st.error().with_context("upgrade " + options.path + " to schema 2");
    }
  }
  if (auto st = reg->writer_->exec("PRAGMA user_version=" + std::to_string(kSchemaVersion)); !st) return st.error();
  if (auto st = reg->prepare_statements(); !st) return st.error();

  auto reader = sqlite::Database::open(options.path, true);
  if (!reader) return reader.error().with_context("open fleet registry reader");
  reg->reader_ = std::move(*reader);
  return reg;
}

Status SqliteRegistry::prepare_statements() {
  struct Item {
    sqlite::Statement* slot;
    std::string sql;
  };
  std::vector<Item> items{
      {&select_device_, std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE device_id = ?1"},
      {&upsert_device_,
       std::string("INSERT INTO devices(") + kDeviceColumns +
           ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT(device_id) DO UPDATE SET "
           "kind = excluded.kind, site = excluded.site, edge_id = excluded.edge_id, online = excluded.online, "
           "session_seq = excluded.session_seq, last_seen_ms = excluded.last_seen_ms, boot_id = excluded.boot_id, "
           "highest_seq = excluded.highest_seq, events_stored = excluded.events_stored, "
           "last_status = excluded.last_status, last_status_ms = excluded.last_status_ms, "
           "last_status_device_ms = excluded.last_status_device_ms"},
      {&insert_event_,
       "INSERT OR IGNORE INTO events(device_id, boot_id, seq, type, priority, device_time_ms, edge_received_ms, "
       "stored_ms, attributes) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
      {&complete_command_,
       "UPDATE commands SET state = 3, result = ?1, completed_ms = ?2 WHERE command_id = ?3 AND device_id = ?4 "
       "AND state <> 3"},
      {&command_exists_, "SELECT 1 FROM commands WHERE command_id = ?1 AND device_id = ?2"},
  };
  for (auto& item : items) {
    auto st = writer_->prepare(item.sql);
    if (!st) return st.error();
    *item.slot = std::move(*st);
  }
  return {};
}

Expected<v1::FleetSummary> SqliteRegistry::summary() {
  std::lock_guard lock(read_mu_);
  auto st = reader_->prepare(
      "SELECT kind, site, COUNT(*), SUM(CASE WHEN online = 1 AND last_seen_ms >= ?1 THEN 1 ELSE 0 END) "
      "FROM devices GROUP BY kind, site");
  if (!st) return st.error();
  st->bind(1, online_threshold_ms());
  std::map<std::string, std::pair<uint32_t, uint32_t>> by_kind, by_site;
  v1::FleetSummary out;
  while (true) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    uint32_t total = protocols::count32(static_cast<uint64_t>(st->column_int(2)));
    uint32_t online = protocols::count32(static_cast<uint64_t>(st->column_int(3)));
    auto& k = by_kind[topics::kind_name(static_cast<v1::DeviceKind>(st->column_int(0)))];
    k.first += total;
    k.second += online;
    auto& s = by_site[st->column_text(1)];
    s.first += total;
    s.second += online;
    out.set_total(out.total() + total);
    out.set_online(out.online() + online);
  }
  out.set_offline(out.total() - out.online());
  for (auto& [key, counts] : by_kind) {
    auto* c = out.add_by_kind();
    c->set_key(key);
    c->set_total(counts.first);
    c->set_online(counts.second);
  }
  for (auto& [key, counts] : by_site) {
    auto* c = out.add_by_site();
    c->set_key(key);
    c->set_total(counts.first);
    c->set_online(counts.second);
  }
  return out;
}

Expected<DevicePage> SqliteRegistry::list_devices(const DeviceQuery& q) {
  std::string sql = std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE device_id > ?1";
  if (q.kind) sql += " AND kind = ?2";
  if (q.site) sql += " AND site = ?3";
  if (q.online) {
    sql += *q.online ? " AND (online = 1 AND last_seen_ms >= ?4)" : " AND NOT (online = 1 AND last_seen_ms >= ?4)";
  }
  sql += " ORDER BY device_id LIMIT ?5";
  int limit = std::clamp(q.limit, 1, 10'000);
  int64_t threshold = online_threshold_ms();

  std::lock_guard lock(read_mu_);
  auto st = reader_->prepare(sql);
  if (!st) return st.error();
  st->bind(1, std::string_view(q.after_device_id));
  if (q.kind) st->bind(2, static_cast<int64_t>(*q.kind));
  if (q.site) st->bind(3, std::string_view(*q.site));
  if (q.online) st->bind(4, threshold);
  st->bind(5, static_cast<int64_t>(limit) + 1);  // one extra row says whether a next page exists
  DevicePage page;
  while (true) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    if (static_cast<int>(page.devices.size()) == limit) {
      page.more = true;
      break;
    }
    page.devices.push_back(device_from_row(*st, threshold));
  }
  return page;
}

Expected<v1::Device> SqliteRegistry::device(const std::string& device_id) {
  std::lock_guard lock(read_mu_);
  auto st = reader_->prepare(std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE device_id = ?1");
  if (!st) return st.error();
  st->bind(1, std::string_view(device_id));
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return make_error(ErrorCode::kNotFound, "unknown device '" + device_id + "'", "unknown_device");
  return device_from_row(*st, online_threshold_ms());
}

Expected<std::vector<v1::StoredEvent>> SqliteRegistry::events(const std::string& device_id, uint64_t after_seq,
                                                              int limit) {
  std::lock_guard lock(read_mu_);
  auto st = reader_->prepare(
      "SELECT boot_id, seq, type, priority, device_time_ms, edge_received_ms, stored_ms, attributes FROM events "
      "WHERE device_id = ?1 AND seq > ?2 ORDER BY seq, boot_id LIMIT ?3");
  if (!st) return st.error();
  st->bind(1, std::string_view(device_id))
      .bind(2, static_cast<int64_t>(std::min<uint64_t>(after_seq, INT64_MAX)))
      .bind(3, static_cast<int64_t>(std::clamp(limit, 1, 10'000)));
  std::vector<v1::StoredEvent> out;
  while (true) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    v1::StoredEvent e;
    e.set_boot_id(st->column_text(0));
    e.set_seq(static_cast<uint64_t>(st->column_int(1)));
    e.set_type(st->column_text(2));
    e.set_priority(static_cast<v1::Priority>(st->column_int(3)));
    e.set_device_time_ms(st->column_int(4));
    e.set_edge_received_ms(st->column_int(5));
    e.set_stored_ms(st->column_int(6));
    v1::Event attrs;
    if (attrs.ParseFromString(st->column_blob(7))) *e.mutable_attributes() = attrs.attributes();
    out.push_back(std::move(e));
  }
  return out;
}

Status SqliteRegistry::check() {
  std::lock_guard lock(read_mu_);
  auto st = reader_->prepare("SELECT COUNT(*) FROM sqlite_master");
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  return {};
}

}  // namespace tidewire::cloud

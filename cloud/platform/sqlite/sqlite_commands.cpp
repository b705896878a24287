// SqliteRegistry: the commands table (see command_service.hpp for the lifecycle).
#include <algorithm>

#include "sqlite_registry.hpp"
#include "tidewire/protocols/codec.hpp"

namespace tidewire::cloud {
namespace {

constexpr const char* kCommandColumns =
    "c.command_id, c.device_id, c.name, c.args, c.state, c.created_ms, c.deadline_ms, c.sent_ms, c.result, "
    "c.completed_ms, c.idempotency_key, c.request_fingerprint, d.edge_id, c.body";

CommandRecord command_from_row(const sqlite::Statement& st) {
  CommandRecord r;
  auto& v = r.view;
  v.set_command_id(st.column_text(0));
  v.set_device_id(st.column_text(1));
  v.set_name(st.column_text(2));
  v1::Command args;
  if (args.ParseFromString(st.column_blob(3))) *v.mutable_args() = args.args();
  v.set_state(static_cast<v1::CommandState>(st.column_int(4)));
  v.set_created_ms(st.column_int(5));
  v.set_deadline_ms(st.column_int(6));
  r.sent_ms = st.column_int(7);
  if (!st.column_is_null(8)) {
    if (!v.mutable_result()->ParseFromString(st.column_blob(8))) v.clear_result();
  }
  v.set_completed_ms(st.column_int(9));
  if (!st.column_is_null(10)) r.idempotency_key = st.column_text(10);
  r.request_fingerprint = st.column_blob(11);
  if (!st.column_is_null(12)) r.edge_id = st.column_text(12);
  if (!st.column_is_null(13)) r.body = st.column_blob(13);
  return r;
}

Expected<std::vector<CommandRecord>> collect_commands(sqlite::Statement& st) {
  std::vector<CommandRecord> out;
  while (true) {
    auto row = st.step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(command_from_row(st));
  }
  return out;
}

}  // namespace

Expected<FleetRegistry::CommandInsert> SqliteRegistry::insert_command(const CommandRecord& r) {
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*writer_);
  if (!tx.begun()) return tx.begun().error();
  if (!r.idempotency_key.empty()) {
    auto st = writer_->prepare(std::string("SELECT ") + kCommandColumns +
                               " FROM commands c LEFT JOIN devices d ON d.device_id = c.device_id "
                               "WHERE c.idempotency_key = ?1");
    if (!st) return st.error();
    st->bind(1, std::string_view(r.idempotency_key));
    auto found = collect_commands(*st);
    if (!found) return found.error();
    if (!found->empty()) return CommandInsert{std::move(found->front()), false};
  }
  auto st = writer_->prepare(
      "INSERT INTO commands(command_id, device_id, name, args, state, created_ms, deadline_ms, sent_ms, "
      "completed_ms, idempotency_key, request_fingerprint, body) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10, "
      "?11)");
  if (!st) return st.error();
  const auto& v = r.view;
  v1::Command args;
  *args.mutable_args() = v.args();
  st->bind(1, std::string_view(v.command_id()))
      .bind(2, std::string_view(v.device_id()))
      .bind(3, std::string_view(v.name()))
      .bind_blob(4, codec::encode(args))
      .bind(5, static_cast<int64_t>(v.state()))
      .bind(6, v.created_ms())
      .bind(7, v.deadline_ms())
      .bind(8, r.sent_ms);
  if (r.idempotency_key.empty())
    st->bind_null(9);
  else
    st->bind(9, std::string_view(r.idempotency_key));
  st->bind_blob(10, r.request_fingerprint);
  if (r.body.empty())
    st->bind_null(11);
  else
    st->bind_blob(11, r.body);
  if (auto run = st->run(); !run) return run.error().with_context("store command");
  if (auto c = tx.commit(); !c) return c.error().with_context("commit command");
  CommandInsert out{r, true};
  return out;
}

Expected<CommandRecord> SqliteRegistry::command(const std::string& command_id) {
  std::lock_guard lock(read_mu_);
  auto st = reader_->prepare(std::string("SELECT ") + kCommandColumns +
                             " FROM commands c LEFT JOIN devices d ON d.device_id = c.device_id "
                             "WHERE c.command_id = ?1");
  if (!st) return st.error();
  st->bind(1, std::string_view(command_id));
  auto found = collect_commands(*st);
  if (!found) return found.error();
  if (found->empty()) {
    return make_error(ErrorCode::kNotFound, "unknown command '" + command_id + "'", "unknown_command");
  }
  return std::move(found->front());
}

Status SqliteRegistry::mark_sent(const std::vector<std::string>& command_ids, int64_t sent_ms) {
  if (command_ids.empty()) return {};
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*writer_);
  if (!tx.begun()) return tx.begun();
  // Only a PENDING command becomes SENT; a result may have completed it meanwhile.
  auto st = writer_->prepare(
      "UPDATE commands SET state = CASE WHEN state = 1 THEN 2 ELSE state END, sent_ms = ?1 "
      "WHERE command_id = ?2 AND state IN (1, 2)");
  if (!st) return st.error();
  for (const auto& id : command_ids) {
    st->bind(1, sent_ms).bind(2, std::string_view(id));
    if (auto run = st->run(); !run) return run;
  }
  return tx.commit();
}

Expected<std::vector<CommandRecord>> SqliteRegistry::due_commands(int64_t resend_before_ms, int64_t now_ms, int limit) {
  std::lock_guard lock(write_mu_);
  auto st = writer_->prepare(std::string("SELECT ") + kCommandColumns +
                             " FROM commands c LEFT JOIN devices d ON d.device_id = c.device_id "
                             "WHERE (c.state = 1 OR (c.state = 2 AND c.sent_ms <= ?1)) AND c.deadline_ms > ?2 "
                             "ORDER BY c.created_ms LIMIT ?3");
  if (!st) return st.error();
  st->bind(1, resend_before_ms).bind(2, now_ms).bind(3, static_cast<int64_t>(std::max(1, limit)));
  return collect_commands(*st);
}

Expected<uint64_t> SqliteRegistry::expire_commands(int64_t now_ms) {
  std::lock_guard lock(write_mu_);
  auto st = writer_->prepare("UPDATE commands SET state = 4 WHERE state IN (1, 2) AND deadline_ms <= ?1");
  if (!st) return st.error();
  st->bind(1, now_ms);
  if (auto run = st->run(); !run) return run.error();
  return static_cast<uint64_t>(writer_->changes());
}

Expected<std::map<v1::CommandState, uint64_t>> SqliteRegistry::command_counts() {
  std::lock_guard lock(read_mu_);
  auto st = reader_->prepare("SELECT state, COUNT(*) FROM commands GROUP BY state");
  if (!st) return st.error();
  std::map<v1::CommandState, uint64_t> out;
  while (true) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    out[static_cast<v1::CommandState>(st->column_int(0))] = static_cast<uint64_t>(st->column_int(1));
  }
  return out;
}

}  // namespace tidewire::cloud

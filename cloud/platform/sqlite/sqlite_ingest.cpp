// SqliteRegistry::ingest: one EdgeBatch, one transaction (see fleet_registry.hpp for the rules).
#include <algorithm>

#include "sqlite_registry.hpp"
#include "tidewire/protocols/codec.hpp"

namespace tidewire::cloud {
namespace {

const char* item_type(const v1::Envelope& e) {
  switch (e.body_case()) {
    case v1::Envelope::kEvent: return "event";
    case v1::Envelope::kStatus: return "status";
    case v1::Envelope::kPresence: return "presence";
    case v1::Envelope::kResult: return "result";
    case v1::Envelope::BODY_NOT_SET: break;
  }
  return "none";
}

// The reject reasons the edge uses (docs/protocol.md), from the codec's error codes.
const char* reject_reason(ErrorCode code) {
  switch (code) {
    case ErrorCode::kTooLarge: return "oversize";
    case ErrorCode::kMalformed: return "malformed";
    case ErrorCode::kConflict: return "identity_mismatch";
    default: return "invalid_field";
  }
}

int64_t clamp_to_i64(uint64_t v) {
  return static_cast<int64_t>(std::min<uint64_t>(v, INT64_MAX));
}

void count(IngestOutcome& out, const char* type, const char* outcome) {
  out.items[{type, outcome}]++;
  std::string_view o(outcome);
  if (o == "accepted")
    out.accepted++;
  else if (o == "rejected")
    out.rejected++;
  else
    out.duplicates++;  // duplicate or stale: absorbed
}

void reject(IngestOutcome& out, const char* type, const char* reason) {
  count(out, type, "rejected");
  out.rejects[reason]++;
}

}  // namespace

Expected<SqliteRegistry::DeviceRow*> SqliteRegistry::load_device(std::map<std::string, DeviceRow>& touched,
                                                                 const std::string& device_id) {
  auto it = touched.find(device_id);
  if (it != touched.end()) return &it->second;
  DeviceRow row;
  row.device_id = device_id;
  select_device_.bind(1, std::string_view(device_id));
  auto found = select_device_.step();
  if (!found) return found.error().with_context("load device " + device_id);
  if (*found) {
    const auto& st = select_device_;
    row.kind = st.column_int(1);
    row.site = st.column_text(2);
    row.edge_id = st.column_text(3);
    row.online = st.column_int(4) != 0;
    row.session_seq = st.column_int(5);
    row.last_seen_ms = st.column_int(6);
    row.boot_id = st.column_text(7);
    row.highest_seq = st.column_int(8);
    row.events_stored = st.column_int(9);
    row.has_status = !st.column_is_null(10);
    row.last_status = st.column_blob(10);
    row.last_status_ms = st.column_int(11);
    row.last_status_device_ms = st.column_int(12);
  }
  select_device_.reset();
  return &touched.emplace(device_id, std::move(row)).first->second;
}

Status SqliteRegistry::store_device(const DeviceRow& r) {
  auto& st = upsert_device_;
  st.bind(1, std::string_view(r.device_id))
      .bind(2, r.kind)
      .bind(3, std::string_view(r.site))
      .bind(4, std::string_view(r.edge_id))
      .bind(5, static_cast<int64_t>(r.online ? 1 : 0))
      .bind(6, r.session_seq)
      .bind(7, r.last_seen_ms)
      .bind(8, std::string_view(r.boot_id))
      .bind(9, r.highest_seq)
      .bind(10, r.events_stored);
  if (r.has_status)
    st.bind_blob(11, r.last_status);
  else
    st.bind_null(11);
  st.bind(12, r.last_status_ms).bind(13, r.last_status_device_ms);
  if (auto run = st.run(); !run) return run.error().with_context("store device " + r.device_id);
  return {};
}

Status SqliteRegistry::apply_item(const v1::BatchItem& item, DeviceRow& row, int64_t received_ms, int64_t now_ms,
                                  IngestOutcome& out) {
  const auto& env = item.envelope();
  const char* type = item_type(env);
  switch (env.body_case()) {
    case v1::Envelope::kEvent: {
      const auto& ev = env.event();
      // Only the attributes are kept as a blob; type and priority have their own columns.
      v1::Event attrs;
      *attrs.mutable_attributes() = ev.attributes();
      insert_event_.bind(1, std::string_view(env.device_id()))
          .bind(2, std::string_view(env.boot_id()))
          .bind(3, clamp_to_i64(env.seq()))
          .bind(4, std::string_view(ev.type()))
          .bind(5, static_cast<int64_t>(ev.priority()))
          .bind(6, env.device_time_ms())
          .bind(7, received_ms)
          .bind(8, now_ms)
          .bind_blob(9, codec::encode(attrs));
      if (auto run = insert_event_.run(); !run) return run.error().with_context("store event");
      if (writer_->changes() == 1) {
        row.events_stored++;
        count(out, type, "accepted");
      } else {
        count(out, type, "duplicate");
      }
      row.highest_seq = std::max(row.highest_seq, clamp_to_i64(env.seq()));
      return {};
    }
    case v1::Envelope::kStatus: {
      if (row.has_status && env.device_time_ms() <= row.last_status_device_ms) {
        count(out, type, "stale");
        return {};
      }
      row.has_status = true;
      row.last_status = codec::encode(env.status());
      row.last_status_ms = received_ms;
      row.last_status_device_ms = env.device_time_ms();
      count(out, type, "accepted");
      return {};
    }
    case v1::Envelope::kPresence: {
      // Newer means a higher session, or the same session going from online to offline
      // (its will arriving after its hello). (S, offline) orders above (S, online).
      const auto& p = env.presence();
      int64_t session = clamp_to_i64(p.session_seq());
      int incoming_rank = p.online() ? 0 : 1;
      int stored_rank = row.online ? 0 : 1;
      bool newer = session > row.session_seq || (session == row.session_seq && incoming_rank > stored_rank);
      if (!newer) {
        count(out, type, "stale");
        return {};
      }
      row.session_seq = session;
      row.online = p.online();
      count(out, type, "accepted");
      return {};
    }
    case v1::Envelope::kResult: {
      const auto& res = env.result();
      row.highest_seq = std::max(row.highest_seq, clamp_to_i64(env.seq()));
      complete_command_.bind_blob(1, codec::encode(res))
          .bind(2, now_ms)
          .bind(3, std::string_view(res.command_id()))
          .bind(4, std::string_view(env.device_id()));
      if (auto run = complete_command_.run(); !run) return run.error().with_context("complete command");
      if (writer_->changes() == 1) {
        out.commands_completed++;
        count(out, type, "accepted");
        return {};
      }
      command_exists_.bind(1, std::string_view(res.command_id())).bind(2, std::string_view(env.device_id()));
      auto exists = command_exists_.step();
      command_exists_.reset();
      if (!exists) return exists.error().with_context("look up command");
      if (*exists)
        count(out, type, "duplicate");
      else
        reject(out, type, "unknown_command");  // not ours, or not this device's
      return {};
    }
    case v1::Envelope::BODY_NOT_SET: break;
  }
  reject(out, type, "invalid_field");  // validate_envelope already refuses this
  return {};
}

Expected<IngestOutcome> SqliteRegistry::ingest(const v1::EdgeBatch& batch) {
  std::lock_guard lock(write_mu_);
  int64_t now_ms = clock_.wall_ms();
  IngestOutcome out;
  sqlite::Transaction tx(*writer_);
  if (!tx.begun()) return tx.begun().error().with_context("begin ingest");
  std::map<std::string, DeviceRow> touched;

  for (const auto& item : batch.items()) {
    const auto& env = item.envelope();
    const char* type = item_type(env);
    if (auto valid = codec::validate_envelope(env); !valid) {
      reject(out, type, reject_reason(valid.error().code));
      continue;
    }
    // An edge relays its own site only; anything else is a device speaking for another.
    if (!batch.site().empty() && env.site() != batch.site()) {
      reject(out, type, "identity_mismatch");
      continue;
    }
    auto row = load_device(touched, env.device_id());
    if (!row) return row.error();
    DeviceRow& dev = **row;
    // An edge without a clock reading still saw the message around the batch's time.
    int64_t received_ms = item.edge_received_ms() > 0 ? item.edge_received_ms()
                          : batch.edge_time_ms() > 0  ? batch.edge_time_ms()
                                                      : now_ms;
    if (auto st = apply_item(item, dev, received_ms, now_ms, out); !st) return st.error();
    // The newest message decides where the device is: its edge (commands go there),
    // site, kind and boot. Re-sent old batches do not move it back.
    if (received_ms >= dev.last_seen_ms || dev.edge_id.empty()) {
      dev.last_seen_ms = std::max(dev.last_seen_ms, received_ms);
      dev.edge_id = batch.edge_id();
      dev.site = env.site();
      dev.kind = static_cast<int64_t>(env.kind());
      if (!env.boot_id().empty()) dev.boot_id = env.boot_id();
    }
    // Until the device's first presence arrives, any message from it means it is connected.
    if (dev.session_seq < 0 && env.body_case() != v1::Envelope::kPresence) dev.online = true;
  }
  for (const auto& [id, dev] : touched) {
    if (auto st = store_device(dev); !st) return st.error();
  }
  if (auto st = tx.commit(); !st) return st.error().with_context("commit ingest");
  return out;
}

}  // namespace tidewire::cloud

// SqliteRegistry::ingest: one EdgeBatch, one transaction. The rules are the domain's
// (registry_ingest.hpp); this file only does their storage steps on the writer connection.
#include <algorithm>

#include "sqlite_registry.hpp"
#include "tidewire/protocols/codec.hpp"

namespace tidewire::cloud {
namespace {

int64_t clamp_to_i64(uint64_t v) {
  return static_cast<int64_t>(std::min<uint64_t>(v, INT64_MAX));
}

}  // namespace

// The storage steps on the writer connection (write_mu_ held by ingest()).
class SqliteRegistry::Target final : public IngestTarget {
 public:
  explicit Target(SqliteRegistry& r) : r_(r) {}

  Expected<DeviceRecord> load_device(const std::string& device_id) override {
    DeviceRecord row;
    row.device_id = device_id;
    auto& st = r_.select_device_;
    st.bind(1, std::string_view(device_id));
    auto found = st.step();
    if (!found) return found.error();
    if (*found) {
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
    st.reset();
    return row;
  }

  Expected<bool> insert_event(const v1::Envelope& env, int64_t received_ms, int64_t now_ms) override {
    const auto& ev = env.event();
    // Only the attributes are kept as a blob; type and priority have their own columns.
    v1::Event attrs;
    *attrs.mutable_attributes() = ev.attributes();
    r_.insert_event_.bind(1, std::string_view(env.device_id()))
        .bind(2, std::string_view(env.boot_id()))
        .bind(3, clamp_to_i64(env.seq()))
        .bind(4, std::string_view(ev.type()))
        .bind(5, static_cast<int64_t>(ev.priority()))
        .bind(6, env.device_time_ms())
        .bind(7, received_ms)
        .bind(8, now_ms)
        .bind_blob(9, codec::encode(attrs));
    if (auto run = r_.insert_event_.run(); !run) return run.error();
    return r_.writer_->changes() == 1;
  }

  Expected<Completion> complete_command(const std::string& device_id, const v1::CommandResult& res,
                                        int64_t now_ms) override {
    r_.complete_command_.bind_blob(1, codec::encode(res))
        .bind(2, now_ms)
        .bind(3, std::string_view(res.command_id()))
        .bind(4, std::string_view(device_id));
    if (auto run = r_.complete_command_.run(); !run) return run.error();
    if (r_.writer_->changes() == 1) return Completion::kCompleted;
    r_.command_exists_.bind(1, std::string_view(res.command_id())).bind(2, std::string_view(device_id));
    auto exists = r_.command_exists_.step();
    r_.command_exists_.reset();
    if (!exists) return exists.error().with_context("look up command");
    return *exists ? Completion::kAlreadyDone : Completion::kUnknown;
  }

  Status store_device(const DeviceRecord& r) override {
    auto& st = r_.upsert_device_;
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
    if (auto run = st.run(); !run) return run.error();
    return {};
  }

 private:
  SqliteRegistry& r_;
};

Expected<IngestOutcome> SqliteRegistry::ingest(const v1::EdgeBatch& batch) {
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*writer_);
  if (!tx.begun()) return tx.begun().error().with_context("begin ingest");
  Target target(*this);
  auto out = apply_batch(batch, target, clock_.wall_ms());
  if (!out) return out.error();  // the transaction rolls back
  if (auto st = tx.commit(); !st) return st.error().with_context("commit ingest");
  return out;
}

}  // namespace tidewire::cloud

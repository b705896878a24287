#pragma once
// FleetRegistry on SQLite (WAL, synchronous=FULL: an acked batch survives power loss).
// Two connections: the writer (ingest, commands) and a reader (HTTP queries), each
// behind its own mutex, so API reads are not queued behind an ingest commit's fsync.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "sqlite/sqlite.hpp"
#include "tidewire/cloud/fleet_registry.hpp"
#include "tidewire/common/clock.hpp"

namespace tidewire::cloud {

struct SqliteRegistryOptions {
  std::string path = "cloud.db";
  int64_t offline_after_ms = 120'000;
};

class SqliteRegistry final : public FleetRegistry {
 public:
  static Expected<std::unique_ptr<SqliteRegistry>> open(const SqliteRegistryOptions& options, Clock& clock);

  // FleetRegistry
  Expected<IngestOutcome> ingest(const v1::EdgeBatch& batch) override;
  Expected<v1::FleetSummary> summary() override;
  Expected<DevicePage> list_devices(const DeviceQuery& query) override;
  Expected<v1::Device> device(const std::string& device_id) override;
  Expected<std::vector<v1::StoredEvent>> events(const std::string& device_id, uint64_t after_seq, int limit) override;
  Expected<CommandInsert> insert_command(const CommandRecord& record) override;
  Expected<CommandRecord> command(const std::string& command_id) override;
  Status mark_sent(const std::vector<std::string>& command_ids, int64_t sent_ms) override;
  Expected<std::vector<CommandRecord>> due_commands(int64_t resend_before_ms, int64_t now_ms, int limit) override;
  Expected<uint64_t> expire_commands(int64_t now_ms) override;
  Expected<std::map<v1::CommandState, uint64_t>> command_counts() override;
  Status check() override;

  // A device row while a batch is applied: read once, changed in memory, written once.
  struct DeviceRow {
    std::string device_id;
    int64_t kind = 0;
    std::string site;
    std::string edge_id;
    bool online = false;
    int64_t session_seq = -1;  // -1: no presence seen yet
    int64_t last_seen_ms = 0;
    std::string boot_id;
    int64_t highest_seq = 0;
    int64_t events_stored = 0;
    bool has_status = false;
    std::string last_status;  // serialized v1::Status
    int64_t last_status_ms = 0;
    int64_t last_status_device_ms = 0;
  };

 private:
  SqliteRegistry(SqliteRegistryOptions options, Clock& clock) : options_(std::move(options)), clock_(clock) {}
  Status prepare_statements();
  int64_t online_threshold_ms() const { return clock_.wall_ms() - options_.offline_after_ms; }

  // Ingest steps (sqlite_ingest.cpp); writer connection, write_mu_ held.
  Expected<DeviceRow*> load_device(std::map<std::string, DeviceRow>& touched, const std::string& device_id);
  Status apply_item(const v1::BatchItem& item, DeviceRow& row, int64_t received_ms, int64_t now_ms, IngestOutcome& out);
  Status store_device(const DeviceRow& row);

  SqliteRegistryOptions options_;
  Clock& clock_;

  std::mutex write_mu_;
  std::unique_ptr<sqlite::Database> writer_;
  sqlite::Statement select_device_;
  sqlite::Statement upsert_device_;
  sqlite::Statement insert_event_;
  sqlite::Statement complete_command_;
  sqlite::Statement command_exists_;

  std::mutex read_mu_;
  std::unique_ptr<sqlite::Database> reader_;
};

}  // namespace tidewire::cloud

#pragma once
// FleetRegistry on SQLite (WAL, synchronous=FULL: an acked batch survives power loss).
// Ingest applies the domain's rules (registry_ingest.hpp); only the storage steps are here.
// Two connections: the writer (ingest, commands) and a reader (HTTP queries), each
// behind its own mutex, so API reads are not queued behind an ingest commit's fsync.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "sqlite/sqlite.hpp"
#include "tidewire/cloud/fleet_registry.hpp"
#include "tidewire/cloud/registry_ingest.hpp"
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

 private:
  SqliteRegistry(SqliteRegistryOptions options, Clock& clock) : options_(std::move(options)), clock_(clock) {}
  Status prepare_statements();
  int64_t online_threshold_ms() const {
    return cloud::online_threshold_ms(clock_.wall_ms(), options_.offline_after_ms);
  }

  // The ingest rules' storage steps (sqlite_ingest.cpp); writer connection, write_mu_ held.
  class Target;

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

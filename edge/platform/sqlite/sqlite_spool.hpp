#pragma once
// The Spool on one SQLite file (WAL, synchronous=FULL: a row the relay acks on must
// survive power loss). Tables:
//   spool(id AUTOINCREMENT, device, boot, seq, kind, rank, received_ms, bytes)
//     AUTOINCREMENT so ids are never reused: they are batch ids and uplink read positions.
//   cursors(device, boot, watermark, above, updated_ms)   written in the same transaction
//   devices(device, site, kind)                           where commands are addressed
// Not thread-safe: the relay drives it from its one thread.
#include <memory>
#include <string>

#include "sqlite/sqlite.hpp"
#include "tidewire/edge/spool.hpp"

namespace tidewire::edge {

class SqliteSpool final : public Spool {
 public:
  struct Options {
    std::string path;
    uint64_t max_bytes = 256ull << 20;
  };
  static Expected<std::unique_ptr<SqliteSpool>> open(const Options& options);

  // Interface: Spool
  Expected<AppendResult> append(const SpoolWrite& write) override;
  Expected<std::vector<SpoolRow>> read_after(int64_t after_id, size_t max_rows, size_t max_bytes) override;
  Expected<uint64_t> remove(const std::vector<int64_t>& ids) override;
  Expected<DropCounts> expire(int64_t cutoff_ms) override;
  Expected<std::vector<CursorRecord>> load_cursors() override;
  Expected<std::vector<topics::DeviceAddress>> load_devices() override;
  SpoolStats stats() const override { return stats_; }

 private:
  explicit SqliteSpool(const Options& options) : options_(options) {}
  Status init();
  // Deletes rows in drop order until bytes fit; runs inside the caller's transaction.
  Expected<DropCounts> enforce_bytes(SpoolStats& stats);

  Options options_;
  std::unique_ptr<sqlite::Database> db_;
  sqlite::Statement insert_row_;
  sqlite::Statement delete_status_;
  sqlite::Statement delete_id_;
  sqlite::Statement select_after_;
  sqlite::Statement select_rank_;
  sqlite::Statement upsert_cursor_;
  sqlite::Statement upsert_device_;
  SpoolStats stats_;
};

}  // namespace tidewire::edge

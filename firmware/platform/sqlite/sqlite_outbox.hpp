#pragma once
// The board's outbox: one SQLite file in the state dir, WAL with synchronous=FULL.
//
// Seq and the presence session counter live in a `counters` table written in the same
// transaction as the row they number, so after kill -9 or power loss the counter is at
// least every seq ever handed out: seqs only grow, across restarts too. The retention
// index and the remembered command results are loaded into memory at open (they are
// small) so the send path never scans the table.
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>

#include "sqlite/sqlite.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/firmware/outbox.hpp"
#include "tidewire/firmware/outbox_index.hpp"

namespace tidewire::firmware {

class SqliteOutbox final : public Outbox {
 public:
  // Opens (creating) the database at path.
  static Expected<std::unique_ptr<SqliteOutbox>> open(const std::string& path, OutboxLimits limits, Clock& clock,
                                                      MetricsRegistry& metrics);

  // Interface: Outbox
  Expected<uint64_t> append(OutboxEntry entry) override;
  Expected<std::vector<OutboxRecord>> pending(uint64_t after_seq, size_t limit) override;
  Expected<size_t> ack_up_to(uint64_t seq) override;
  Expected<size_t> expire() override;
  uint64_t floor_seq() const override;
  uint64_t last_seq() const override { return last_seq_; }
  Expected<uint64_t> next_session_seq() override;
  std::optional<RememberedResult> recall_result(const std::string& command_id) const override;
  OutboxStats stats() const override { return index_.stats(); }

 private:
  SqliteOutbox(std::unique_ptr<sqlite::Database> db, OutboxLimits limits, Clock& clock, MetricsRegistry& metrics);
  Status load();
  Status delete_rows(const std::vector<uint64_t>& seqs);
  Status set_counter(const char* name, uint64_t value);

  std::unique_ptr<sqlite::Database> db_;
  OutboxLimits limits_;
  Clock& clock_;
  OutboxIndex index_;
  uint64_t last_seq_ = 0;
  uint64_t session_seq_ = 0;
  std::unordered_map<std::string, RememberedResult> results_;
  std::deque<std::string> result_order_;  // oldest first, for the bound

  sqlite::Statement insert_row_;
  sqlite::Statement delete_row_;
  sqlite::Statement delete_up_to_;
  sqlite::Statement select_pending_;
  sqlite::Statement set_counter_;
  sqlite::Statement put_result_;
  sqlite::Statement delete_result_;
};

}  // namespace tidewire::firmware

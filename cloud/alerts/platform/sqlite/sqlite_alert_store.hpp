#pragma once
// AlertStore on SQLite (WAL, synchronous=FULL): an incident the engine opened is on disk
// before its notice is pushed. Tables alert_rules and alert_incidents (prefixed, so the
// file may be the fleet registry's or its own). One connection behind a mutex: the engine
// already serialises its writes and they are a few per evaluation.
#include <memory>
#include <mutex>
#include <string>

#include "sqlite/sqlite.hpp"
#include "tidewire/alerts/alert_store.hpp"
#include "tidewire/common/clock.hpp"

namespace tidewire::alerts {

class SqliteAlertStore final : public AlertStore {
 public:
  static Expected<std::unique_ptr<SqliteAlertStore>> open(const std::string& path, Clock& clock);

  // AlertStore
  Expected<std::vector<AlertRule>> load_rules() override;
  Status insert_rule(const AlertRule& rule) override;
  Status delete_rule(const std::string& rule_id) override;
  Expected<std::vector<Incident>> load_unfinished() override;
  Expected<std::map<std::pair<std::string, std::string>, uint64_t>> last_seqs() override;
  Status save_incident(const Incident& incident) override;

 private:
  SqliteAlertStore(std::string path, Clock& clock) : path_(std::move(path)), clock_(clock) {}

  std::string path_;
  Clock& clock_;
  std::mutex mu_;
  std::unique_ptr<sqlite::Database> db_;
  sqlite::Statement upsert_incident_;
  sqlite::Statement prune_incidents_;
};

}  // namespace tidewire::alerts

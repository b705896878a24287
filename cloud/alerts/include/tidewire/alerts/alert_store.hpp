#pragma once
// Where alert state survives a restart: the rules added by HTTP and every incident whose
// notices are not all sent yet. One interface; the backends live under platform/ and are
// chosen by the store URL's scheme (platform/open_alert_store.hpp):
//   platform/sqlite/  SqliteAlertStore (tables alert_rules and alert_incidents).
// Every backend passes the same contract tests (tests/cloud/alerts/alert_store_contract_test.cpp).
//
// Contract:
// - Each call is atomic and safe from any thread.
// - Rules: load_rules() answers every inserted, not deleted rule, by id, as it was
//   inserted. insert_rule() of an id that is stored fails and changes nothing;
//   delete_rule() of an unknown id is not an error.
// - Incidents are named by (rule_id, subject, seq). save_incident() of a new one stores it
//   whole; of a stored one it writes fire_sent, cleared_ms and clear_sent (opened_ms and
//   detail stay as first saved). load_unfinished() answers the incidents not finished(),
//   by opened_ms, then rule, subject and seq. last_seqs() answers the highest seq ever
//   saved per (rule, subject), finished or not, so a finished incident is needed only
//   while it is its subject's highest: a backend deletes it once a higher one is saved.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tidewire/alerts/alert_rule.hpp"
#include "tidewire/common/expected.hpp"

namespace tidewire::alerts {

// One incident: rule `rule_id` held for `subject` (a device id, or a site id for site
// rules). seq counts the incidents of one (rule, subject) from 1 and never goes back, so
// the push idempotency key of a new incident never repeats an old one.
struct Incident {
  std::string rule_id;
  std::string subject;
  uint64_t seq = 0;
  int64_t opened_ms = 0;
  bool fire_sent = false;
  int64_t cleared_ms = 0;  // 0 = still open
  bool clear_sent = false;
  std::string detail;  // what was seen when it fired, e.g. "bitrate_kbps 320 < 500"

  bool open() const { return cleared_ms == 0; }
  // Done: cleared and both notices handed to the push service.
  bool finished() const { return !open() && fire_sent && clear_sent; }
};

class AlertStore {
 public:
  virtual ~AlertStore() = default;

  virtual Expected<std::vector<AlertRule>> load_rules() = 0;
  virtual Status insert_rule(const AlertRule& rule) = 0;
  virtual Status delete_rule(const std::string& rule_id) = 0;

  // Incidents not finished, oldest first.
  virtual Expected<std::vector<Incident>> load_unfinished() = 0;
  // The highest seq ever used per (rule, subject), finished incidents included.
  virtual Expected<std::map<std::pair<std::string, std::string>, uint64_t>> last_seqs() = 0;
  // Inserts or updates by (rule_id, subject, seq). A new incident prunes the finished
  // ones before it of the same (rule, subject), so the store keeps one or two incidents
  // per subject that ever alerted.
  virtual Status save_incident(const Incident& incident) = 0;
};
using AlertStorePtr = std::unique_ptr<AlertStore>;

}  // namespace tidewire::alerts

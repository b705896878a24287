#pragma once
// The alert rules engine: rules over a FleetSnapshot in, push notifications out.
//
// Per (rule, subject) the state machine is
//   quiet --condition true--> pending(since) --held for_s--> open (incident seq n, stored)
//   pending --condition false or unknown--> quiet
//   open --condition false--> cleared (stored) --both notices sent--> quiet
//   open --condition unknown (device offline, no reading)--> open (no clear, no re-fire)
// An incident is written to the AlertStore before its fire notice is handed out, and a
// notice is marked sent only after the sink accepted it; a crash in between re-sends it
// with the same idempotency key "alert:{rule}:{subject}:{seq}:{fire|clear}", which the
// push service absorbs. Pending (hold) times live in memory only: after a restart a
// threshold must hold for_s again before a new incident fires.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tidewire/alerts/alert_rule.hpp"
#include "tidewire/alerts/alert_store.hpp"
#include "tidewire/alerts/alert_metrics.hpp"
#include "tidewire/alerts/fleet_snapshot.hpp"
#include "tidewire/cloud/notifier.hpp"
#include "tidewire/common/expected.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/v1/push.pb.h"

namespace tidewire::alerts {

// Where notices go: the cloud's Notifier (the push module's, or a fake in tests).
using AlertSink = cloud::Notifier;

enum class NoticeKind { kFire, kClear };
const char* notice_name(NoticeKind kind);  // "fire" / "clear"

struct Notification {
  std::string rule_id;
  std::string subject;
  uint64_t seq = 0;
  NoticeKind kind = NoticeKind::kFire;
  v1::PushRequest request;
  std::string idempotency_key;
};

struct RuleView {
  AlertRule rule;
  uint64_t open_incidents = 0;
};

class AlertEngine {
 public:
  // Loads the API rules and unfinished incidents from `store`, next to the file's rules.
  // An id in both is an error (rename one). Incidents of rules that no longer exist are
  // ended without a notice.
  static Expected<std::unique_ptr<AlertEngine>> open(AlertStore& store, std::vector<AlertRule> file_rules,
                                                     MetricsRegistry& metrics);

  // Stores an API rule. true = created; false = the same rule was already there (a retried
  // POST). kConflict for an id in use by a different rule or by the rules file.
  Expected<bool> add_rule(AlertRule rule);
  // kNotFound for an unknown id, kConflict for a rule from the rules file. Its incidents
  // end without a recovery notice: the rule itself was taken away.
  Status remove_rule(const std::string& rule_id);
  std::vector<RuleView> rules() const;

  // Advances every rule on `fleet` at `now_ms` (wall ms, the clock of last_seen_ms) and
  // returns every notice not yet sent, new ones and ones whose earlier push failed, fire
  // before clear within an incident.
  std::vector<Notification> evaluate(const FleetSnapshot& fleet, int64_t now_ms);
  // The sink accepted `n`: it is never handed out again.
  Status mark_sent(const Notification& n);

  uint64_t open_incidents() const;
  std::vector<Incident> unfinished_incidents() const;  // tests, operator views

 private:
  using SubjectKey = std::pair<std::string, std::string>;  // (rule, subject)
  using IncidentKey = std::tuple<std::string, std::string, uint64_t>;
  enum class Verdict { kOk, kViolating, kUnknown };
  struct Observation {
    Verdict verdict = Verdict::kOk;
    std::string detail;
  };

  AlertEngine(AlertStore& store, MetricsRegistry& metrics);
  std::map<std::string, Observation> observe(const AlertRule& rule, const FleetSnapshot& fleet, int64_t now_ms) const;
  void advance(const AlertRule& rule, const std::string& subject, const Observation& seen, int64_t now_ms);
  Incident* open_incident(const SubjectKey& key);
  void end_incidents_of(const std::string& rule_id, int64_t now_ms);
  Notification notice(const Incident& incident, NoticeKind kind) const;
  void store_failed(const char* what, const Error& error);
  void update_gauges();

  AlertStore& store_;
  AlertMetrics metrics_;
  mutable std::mutex mu_;
  std::map<std::string, AlertRule> rules_;
  std::map<IncidentKey, Incident> unfinished_;
  std::map<SubjectKey, uint64_t> last_seq_;
  std::map<SubjectKey, int64_t> pending_since_ms_;
};

// The push request for a notice (title, body, data) — exposed so tests and docs agree.
v1::PushRequest push_request_for(const AlertRule& rule, const Incident& incident, NoticeKind kind);
std::string idempotency_key(const Incident& incident, NoticeKind kind);

}  // namespace tidewire::alerts

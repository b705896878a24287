#include "tidewire/alerts/alert_engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tidewire/common/log.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::alerts {
namespace {

constexpr const char* kLog = "alerts";

bool matches(const AlertRule& rule, const DeviceState& d) {
  if (rule.site && d.site != *rule.site) return false;
  if (rule.kind && d.kind != *rule.kind) return false;
  return true;
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

int64_t hold_ms(const AlertRule& rule) {
  // An offline rule's hold is in the data (last_seen_ms + after_s), not in the engine.
  return rule.type == RuleType::kDeviceOffline ? 0 : rule.for_s * 1000;
}

}  // namespace

const char* notice_name(NoticeKind kind) {
  return kind == NoticeKind::kFire ? "fire" : "clear";
}

std::string idempotency_key(const Incident& i, NoticeKind kind) {
  return "alert:" + i.rule_id + ":" + i.subject + ":" + std::to_string(i.seq) + ":" + notice_name(kind);
}

v1::PushRequest push_request_for(const AlertRule& rule, const Incident& i, NoticeKind kind) {
  v1::PushRequest req;
  for (const auto& id : rule.recipient_ids) req.add_recipient_ids(id);
  for (const auto& tag : rule.tags) req.add_tags(tag);
  bool fire = kind == NoticeKind::kFire;
  req.set_title(std::string(fire ? "ALERT " : "RESOLVED ") + rule.id + ": " + i.subject);
  std::string body = fire ? i.detail
                          : "recovered after " +
                                std::to_string(std::max<int64_t>(0, i.cleared_ms - i.opened_ms) / 1000) +
                                " s (was: " + i.detail + ")";
  req.set_body(body.empty() ? std::string(type_name(rule.type)) : body);
  auto& data = *req.mutable_data();
  data["alert_rule"] = rule.id;
  data["alert_type"] = type_name(rule.type);
  data["subject"] = i.subject;
  data["incident"] = std::to_string(i.seq);
  data["state"] = fire ? "firing" : "resolved";
  data["opened_ms"] = std::to_string(i.opened_ms);
  if (!fire) data["cleared_ms"] = std::to_string(i.cleared_ms);
  req.set_priority(rule.priority);
  req.set_ttl_s(rule.ttl_s);
  return req;
}

AlertEngine::AlertEngine(AlertStore& store, MetricsRegistry& metrics) : store_(store), metrics_(metrics) {}

Expected<std::unique_ptr<AlertEngine>> AlertEngine::open(AlertStore& store, std::vector<AlertRule> file_rules,
                                                         MetricsRegistry& metrics) {
  std::unique_ptr<AlertEngine> engine(new AlertEngine(store, metrics));
  for (auto& r : file_rules) {
    r.source = RuleSource::kFile;
    engine->rules_.emplace(r.id, std::move(r));
  }
  auto stored = store.load_rules();
  if (!stored) return stored.error().with_context("alerts: load rules");
  for (auto& r : *stored) {
    if (engine->rules_.count(r.id)) {
      return make_error(ErrorCode::kConflict, "alert rule " + r.id +
                                                  " is both in the rules file and added by POST /v1/alert-rules "
                                                  "(rename the file's rule, or DELETE the API one first)");
    }
    r.source = RuleSource::kApi;
    engine->rules_.emplace(r.id, std::move(r));
  }
  auto seqs = store.last_seqs();
  if (!seqs) return seqs.error().with_context("alerts: load incident numbers");
  engine->last_seq_ = std::move(*seqs);
  auto incidents = store.load_unfinished();
  if (!incidents) return incidents.error().with_context("alerts: load incidents");
  for (auto& i : *incidents) {
    IncidentKey key{i.rule_id, i.subject, i.seq};
    engine->unfinished_.emplace(key, std::move(i));
  }
  std::vector<std::string> gone;
  for (const auto& [key, i] : engine->unfinished_) {
    if (!engine->rules_.count(i.rule_id)) gone.push_back(i.rule_id);
  }
  for (const auto& rule_id : gone) {
    TW_WARN(kLog, "rule " << rule_id << " is gone (rules file changed?): its incidents end without a notice");
    engine->end_incidents_of(rule_id, 0);
  }
  engine->update_gauges();
  return engine;
}

Expected<bool> AlertEngine::add_rule(AlertRule rule) {
  rule.source = RuleSource::kApi;
  if (auto st = validate(rule); !st) return st.error();
  std::lock_guard lock(mu_);
  if (auto it = rules_.find(rule.id); it != rules_.end()) {
    if (it->second.source == RuleSource::kApi && it->second == rule) return false;
    return make_error(ErrorCode::kConflict,
                      "alert rule " + rule.id +
                          (it->second.source == RuleSource::kFile
                               ? " is defined in the rules file; choose another id"
                               : " exists with another definition; DELETE /v1/alert-rules/" + rule.id + " first"));
  }
  if (auto st = store_.insert_rule(rule); !st) return st.error().with_context("store alert rule " + rule.id);
  rules_.emplace(rule.id, std::move(rule));
  update_gauges();
  return true;
}

Status AlertEngine::remove_rule(const std::string& rule_id) {
  std::lock_guard lock(mu_);
  auto it = rules_.find(rule_id);
  if (it == rules_.end()) return make_error(ErrorCode::kNotFound, "no alert rule " + rule_id, "unknown_rule");
  if (it->second.source == RuleSource::kFile) {
    return make_error(ErrorCode::kConflict,
                      "alert rule " + rule_id + " comes from the rules file; remove it there and restart", "file_rule");
  }
  if (auto st = store_.delete_rule(rule_id); !st) return st.error().with_context("delete alert rule " + rule_id);
  rules_.erase(it);
  end_incidents_of(rule_id, 0);
  update_gauges();
  return {};
}

std::vector<RuleView> AlertEngine::rules() const {
  std::lock_guard lock(mu_);
  std::vector<RuleView> out;
  for (const auto& [id, rule] : rules_) {
    RuleView v{rule, 0};
    for (const auto& [key, i] : unfinished_) {
      if (i.rule_id == id && i.open()) ++v.open_incidents;
    }
    out.push_back(std::move(v));
  }
  return out;
}

uint64_t AlertEngine::open_incidents() const {
  std::lock_guard lock(mu_);
  return static_cast<uint64_t>(
      std::count_if(unfinished_.begin(), unfinished_.end(), [](const auto& kv) { return kv.second.open(); }));
}

std::vector<Incident> AlertEngine::unfinished_incidents() const {
  std::lock_guard lock(mu_);
  std::vector<Incident> out;
  for (const auto& [key, i] : unfinished_) out.push_back(i);
  return out;
}

std::map<std::string, AlertEngine::Observation> AlertEngine::observe(const AlertRule& rule, const FleetSnapshot& fleet,
                                                                     int64_t now_ms) const {
  std::map<std::string, Observation> out;
  switch (rule.type) {
    case RuleType::kDeviceOffline:
      for (const auto& d : fleet.devices) {
        if (!matches(rule, d)) continue;
        int64_t silent_s = (now_ms - d.last_seen_ms) / 1000;
        bool gone = !d.online && now_ms - d.last_seen_ms > rule.after_s * 1000;
        out[d.device_id] = {gone ? Verdict::kViolating : Verdict::kOk,
                            "device " + d.device_id + " (" + topics::kind_name(d.kind) + ", site " + d.site +
                                ") offline, last seen " + std::to_string(silent_s) + " s ago"};
      }
      break;
    case RuleType::kStatusThreshold: {
      const StatusField* field = find_status_field(*rule.kind, rule.field);
      for (const auto& d : fleet.devices) {
        if (!matches(rule, d)) continue;
        // An offline device's last status is old news: it neither fires nor clears.
        std::optional<double> value;
        if (d.online && d.status && field) value = field->read(*d.status);
        if (!value) {
          out[d.device_id] = {Verdict::kUnknown, ""};
          continue;
        }
        bool beyond = rule.op == Comparison::kBelow ? *value < rule.threshold : *value > rule.threshold;
        out[d.device_id] = {beyond ? Verdict::kViolating : Verdict::kOk,
                            "device " + d.device_id + " " + rule.field + " " + number_text(*value) +
                                (rule.op == Comparison::kBelow ? " < " : " > ") + number_text(rule.threshold) +
                                " for " + std::to_string(rule.for_s) + " s"};
      }
      break;
    }
    case RuleType::kSiteOffline: {
      std::map<std::string, std::pair<int64_t, int64_t>> sites;  // site -> (total, offline)
      for (const auto& d : fleet.devices) {
        if (!matches(rule, d)) continue;
        auto& [total, offline] = sites[d.site];
        ++total;
        if (!d.online) ++offline;
      }
      for (const auto& [site, counts] : sites) {
        auto [total, offline] = counts;
        double pct = 100.0 * static_cast<double>(offline) / static_cast<double>(total);
        bool dark = total >= rule.min_devices && pct > rule.offline_pct;
        out[site] = {dark ? Verdict::kViolating : Verdict::kOk,
                     "site " + site + ": " + std::to_string(offline) + " of " + std::to_string(total) +
                         " devices offline (" + number_text(std::round(pct)) + "% > " + number_text(rule.offline_pct) +
                         "%)"};
      }
      break;
    }
  }
  return out;
}

Incident* AlertEngine::open_incident(const SubjectKey& key) {
  auto it = unfinished_.lower_bound(IncidentKey{key.first, key.second, 0});
  for (; it != unfinished_.end() && std::get<0>(it->first) == key.first && std::get<1>(it->first) == key.second; ++it) {
    if (it->second.open()) return &it->second;
  }
  return nullptr;
}

void AlertEngine::advance(const AlertRule& rule, const std::string& subject, const Observation& seen, int64_t now_ms) {
  SubjectKey key{rule.id, subject};
  Incident* open = open_incident(key);
  if (seen.verdict == Verdict::kUnknown) {
    pending_since_ms_.erase(key);  // the hold must be continuous
    return;
  }
  if (seen.verdict == Verdict::kOk) {
    pending_since_ms_.erase(key);
    if (!open) return;
    Incident cleared = *open;
    cleared.cleared_ms = now_ms;
    if (auto st = store_.save_incident(cleared); !st) return store_failed("clear incident", st.error());
    *open = cleared;
    return;
  }
  if (open) return;  // one notice per incident
  auto [since, inserted] = pending_since_ms_.emplace(key, now_ms);
  (void)inserted;
  if (now_ms - since->second < hold_ms(rule)) return;
  Incident fresh;
  fresh.rule_id = rule.id;
  fresh.subject = subject;
  fresh.seq = last_seq_[key] + 1;
  fresh.opened_ms = now_ms;
  fresh.detail = seen.detail;
  // Stored before the notice leaves: a crash now re-sends this incident's fire, never a
  // second incident's.
  if (auto st = store_.save_incident(fresh); !st) return store_failed("open incident", st.error());
  last_seq_[key] = fresh.seq;
  pending_since_ms_.erase(key);
  TW_INFO(kLog, "rule " << rule.id << " fires for " << subject << " (incident " << fresh.seq << "): " << fresh.detail);
  unfinished_.emplace(IncidentKey{rule.id, subject, fresh.seq}, std::move(fresh));
}

std::vector<Notification> AlertEngine::evaluate(const FleetSnapshot& fleet, int64_t now_ms) {
  std::lock_guard lock(mu_);
  for (const auto& [id, rule] : rules_) {
    auto seen = observe(rule, fleet, now_ms);
    for (const auto& [subject, observation] : seen) advance(rule, subject, observation, now_ms);
    // A subject that left the rule's view (device gone, site emptied) has recovered as far
    // as this rule can tell; its pending hold is dropped.
    std::vector<std::string> vanished;
    for (const auto& [key, i] : unfinished_) {
      if (i.rule_id == id && i.open() && !seen.count(i.subject)) vanished.push_back(i.subject);
    }
    for (const auto& subject : vanished) advance(rule, subject, {Verdict::kOk, ""}, now_ms);
    for (auto it = pending_since_ms_.lower_bound({id, ""}); it != pending_since_ms_.end() && it->first.first == id;) {
      it = seen.count(it->first.second) ? std::next(it) : pending_since_ms_.erase(it);
    }
  }
  std::vector<Notification> out;
  for (const auto& [key, i] : unfinished_) {
    if (!i.fire_sent) out.push_back(notice(i, NoticeKind::kFire));
    if (!i.open() && !i.clear_sent) out.push_back(notice(i, NoticeKind::kClear));
  }
  update_gauges();
  return out;
}

Notification AlertEngine::notice(const Incident& i, NoticeKind kind) const {
  Notification n;
  n.rule_id = i.rule_id;
  n.subject = i.subject;
  n.seq = i.seq;
  n.kind = kind;
  n.request = push_request_for(rules_.at(i.rule_id), i, kind);
  n.idempotency_key = idempotency_key(i, kind);
  return n;
}

Status AlertEngine::mark_sent(const Notification& n) {
  std::lock_guard lock(mu_);
  auto it = unfinished_.find(IncidentKey{n.rule_id, n.subject, n.seq});
  if (it == unfinished_.end()) return {};  // ended meanwhile (rule deleted)
  Incident updated = it->second;
  (n.kind == NoticeKind::kFire ? updated.fire_sent : updated.clear_sent) = true;
  if (auto st = store_.save_incident(updated); !st) {
    store_failed("mark notice sent", st.error());
    return st;  // re-sent next round under the same key; the push service absorbs it
  }
  if (updated.finished()) {
    unfinished_.erase(it);
  } else {
    it->second = updated;
  }
  return {};
}

void AlertEngine::end_incidents_of(const std::string& rule_id, int64_t now_ms) {
  for (auto it = unfinished_.begin(); it != unfinished_.end();) {
    if (it->second.rule_id != rule_id) {
      ++it;
      continue;
    }
    Incident ended = it->second;
    if (ended.open()) ended.cleared_ms = std::max<int64_t>(now_ms, ended.opened_ms + 1);
    ended.fire_sent = ended.clear_sent = true;
    if (auto st = store_.save_incident(ended); !st) store_failed("end incident", st.error());
    it = unfinished_.erase(it);
  }
  for (auto it = pending_since_ms_.lower_bound({rule_id, ""});
       it != pending_since_ms_.end() && it->first.first == rule_id;) {
    it = pending_since_ms_.erase(it);
  }
}

void AlertEngine::store_failed(const char* what, const Error& error) {
  metrics_.store_failures.inc();
  TW_WARN(kLog, what << ": " << error.message);
}

void AlertEngine::update_gauges() {
  metrics_.rules.set(static_cast<int64_t>(rules_.size()));
  int64_t open = 0;
  for (const auto& [key, i] : unfinished_) open += i.open() ? 1 : 0;
  metrics_.incidents_open.set(open);
}

}  // namespace tidewire::alerts

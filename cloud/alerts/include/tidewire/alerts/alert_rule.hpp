#pragma once
// Alert rules over fleet state (docs/alerts.md): what a rule says, the status fields a
// threshold rule may watch, and the rule's one schema, tidewire.v1.AlertRule
// (protocols/proto/tidewire/v1/alerts.proto), whose JSON mapping is the rules file's line,
// the POST /v1/alert-rules body and the stored row.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/v1/alerts.pb.h"
#include "tidewire/v1/device.pb.h"
#include "tidewire/v1/push.pb.h"

namespace tidewire::alerts {

enum class RuleType {
  kDeviceOffline,    // subject: a device silent for more than after_s
  kStatusThreshold,  // subject: a device whose status field is beyond a threshold for for_s
  kSiteOffline,      // subject: a site with more than offline_pct % of its devices offline for for_s
};
const char* type_name(RuleType type);

enum class Comparison { kBelow, kAbove };  // "<" and ">"

// Where a rule came from: the file is the truth for its rules (they cannot be deleted by
// HTTP and are not stored); API rules live in the alert store and survive restarts.
enum class RuleSource { kFile, kApi };

struct AlertRule {
  std::string id;  // 1-64 of [A-Za-z0-9_.-]
  RuleType type = RuleType::kDeviceOffline;
  std::optional<std::string> site;     // only devices of this site
  std::optional<v1::DeviceKind> kind;  // only devices of this kind (required for thresholds)
  int64_t after_s = 0;                 // device_offline: silence longer than this
  int64_t for_s = 0;                   // threshold / site: how long the condition must hold
  std::string field;                   // threshold: a name from status_fields() for `kind`
  Comparison op = Comparison::kBelow;
  double threshold = 0;
  double offline_pct = 0;                  // site: fires above this share (0 <= pct < 100)
  int64_t min_devices = 1;                 // site: smaller sites (after filters) never fire
  std::vector<std::string> recipient_ids;  // and/or
  std::vector<std::string> tags;
  v1::PushPriority priority = v1::PUSH_PRIORITY_HIGH;
  uint32_t ttl_s = 0;  // 0 = the push service's default
  RuleSource source = RuleSource::kApi;

  bool operator==(const AlertRule& o) const;  // same definition (source ignored)
};

// A status field a threshold rule can watch: kind + name -> number. The getter answers
// nullopt when the status is of another kind (no reading, not a zero reading).
struct StatusField {
  v1::DeviceKind kind;
  std::string_view name;
  std::function<std::optional<double>(const v1::Status&)> read;
};
const std::vector<StatusField>& status_fields();
const StatusField* find_status_field(v1::DeviceKind kind, std::string_view name);

inline constexpr uint32_t kMaxTtlS = 7 * 24 * 3600;  // the push service's limit
inline constexpr int64_t kMaxDurationS = 30LL * 24 * 3600;
inline constexpr size_t kMaxRecipients = 64;

// A refused rule is an Error (kInvalidArgument, kMalformed for JSON that does not parse)
// whose `reason` labels tw_alert_rule_rejects_total and the HTTP ErrorBody.reason
// (invalid_json, unknown_key, unknown_type, unknown_field, bad_duration, no_recipients,
// bad_value, bad_id, duplicate_id) and whose `message` says what to write instead.

// Checks every field; the first problem found is the answer.
Status validate(const AlertRule& rule);

// The schema's form and back. from_proto turns the strings (type, kind, op, priority) into
// the domain's types and refuses a key that does not belong to the rule's type
// (unknown_key), so a stray "threshold" on a device_offline rule is not silently ignored;
// `source` and `open_incidents` are the cloud's to set and are ignored. It does not call
// validate().
v1::AlertRule to_proto(const AlertRule& rule);
Expected<AlertRule> from_proto(const v1::AlertRule& proto, RuleSource source);

// One rule from its JSON (docs/alerts.md has the keys), validated. Unknown keys are errors
// so a typo ("treshold") does not silently make a rule that never fires.
struct ParsedRule {
  std::optional<AlertRule> rule;
  Error error;  // when !rule
};
ParsedRule parse_rule_json(std::string_view json, RuleSource source);
// The same rule as one line of JSON, with "source": what the alert store keeps.
std::string rule_to_json(const AlertRule& rule);

// A rules file: one JSON object per line; blank lines and lines starting with '#' are
// skipped. The first bad line fails the whole file (a half-loaded rule set would hide
// the typo), naming its line number. Duplicate ids are an error too.
struct FileError {
  int line = 0;
  Error error;
};
struct ParsedFile {
  std::vector<AlertRule> rules;
  std::optional<FileError> error;
};
ParsedFile parse_rules_text(std::string_view text);

}  // namespace tidewire::alerts

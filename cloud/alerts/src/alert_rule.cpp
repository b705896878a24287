#include "tidewire/alerts/alert_rule.hpp"

#include <cmath>

#include "tidewire/protocols/topics.hpp"

namespace tidewire::alerts {
namespace {

template <typename Get>
StatusField poster(std::string_view name, Get get) {
  return {v1::DEVICE_KIND_POSTER, name, [get](const v1::Status& s) -> std::optional<double> {
            if (!s.has_poster()) return std::nullopt;
            return static_cast<double>(get(s.poster()));
          }};
}
template <typename Get>
StatusField rider(std::string_view name, Get get) {
  return {v1::DEVICE_KIND_RIDER, name, [get](const v1::Status& s) -> std::optional<double> {
            if (!s.has_rider()) return std::nullopt;
            return static_cast<double>(get(s.rider()));
          }};
}
template <typename Get>
StatusField encoder(std::string_view name, Get get) {
  return {v1::DEVICE_KIND_ENCODER, name, [get](const v1::Status& s) -> std::optional<double> {
            if (!s.has_encoder()) return std::nullopt;
            return static_cast<double>(get(s.encoder()));
          }};
}

std::string field_names(v1::DeviceKind kind) {
  std::string out;
  for (const auto& f : status_fields()) {
    if (f.kind != kind) continue;
    if (!out.empty()) out += ", ";
    out += f.name;
  }
  return out;
}

Error refused(const char* reason, std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message), reason);
}

Status check_duration(const char* key, int64_t v) {
  if (v < 0 || v > kMaxDurationS) {
    return refused("bad_duration", std::string(key) + "=" + std::to_string(v) + " is out of range (0.." +
                                       std::to_string(kMaxDurationS) + " seconds)");
  }
  return {};
}

}  // namespace

const char* type_name(RuleType type) {
  switch (type) {
    case RuleType::kDeviceOffline: return "device_offline";
    case RuleType::kStatusThreshold: return "status_threshold";
    case RuleType::kSiteOffline: return "site_offline";
  }
  return "?";
}

bool AlertRule::operator==(const AlertRule& o) const {
  return id == o.id && type == o.type && site == o.site && kind == o.kind && after_s == o.after_s && for_s == o.for_s &&
         field == o.field && op == o.op && threshold == o.threshold && offline_pct == o.offline_pct &&
         min_devices == o.min_devices && recipient_ids == o.recipient_ids && tags == o.tags && priority == o.priority &&
         ttl_s == o.ttl_s;
}

// Only numeric fields: a threshold over a string or a bool says nothing useful.
const std::vector<StatusField>& status_fields() {
  static const std::vector<StatusField> fields{
      poster("temperature_c", [](const v1::PosterStatus& p) { return p.temperature_c(); }),
      poster("brightness_pct", [](const v1::PosterStatus& p) { return p.brightness_pct(); }),
      poster("free_storage_bytes", [](const v1::PosterStatus& p) { return p.free_storage_bytes(); }),
      rider("battery_pct", [](const v1::RiderStatus& r) { return r.battery_pct(); }),
      rider("speed_mps", [](const v1::RiderStatus& r) { return r.speed_mps(); }),
      rider("accuracy_m", [](const v1::RiderStatus& r) { return r.accuracy_m(); }),
      encoder("bitrate_kbps", [](const v1::EncoderStatus& e) { return e.bitrate_kbps(); }),
      encoder("fps", [](const v1::EncoderStatus& e) { return e.fps(); }),
      encoder("dropped_frames", [](const v1::EncoderStatus& e) { return e.dropped_frames(); }),
      encoder("rtt_ms", [](const v1::EncoderStatus& e) { return e.rtt_ms(); }),
      encoder("buffer_ms", [](const v1::EncoderStatus& e) { return e.buffer_ms(); }),
  };
  return fields;
}

const StatusField* find_status_field(v1::DeviceKind kind, std::string_view name) {
  for (const auto& f : status_fields()) {
    if (f.kind == kind && f.name == name) return &f;
  }
  return nullptr;
}

Status validate(const AlertRule& r) {
  if (!topics::valid_name(r.id)) {
    return refused("bad_id", "rule id '" + r.id.substr(0, 64) + "' must be 1-64 characters of [A-Za-z0-9_.-]");
  }
  if (r.site && !topics::valid_id(*r.site)) {
    return refused("bad_value", "site '" + r.site->substr(0, 64) + "' must be " + topics::kIdRule);
  }
  if (r.recipient_ids.empty() && r.tags.empty()) {
    return refused("no_recipients", "rule " + r.id + " names no recipients: give recipient_ids and/or tags");
  }
  if (r.recipient_ids.size() + r.tags.size() > kMaxRecipients) {
    return refused("bad_value", "rule " + r.id + " names more than " + std::to_string(kMaxRecipients) +
                                    " recipient ids and tags; use a tag");
  }
  for (const auto& id : r.recipient_ids) {
    if (!topics::valid_id(id)) {
      return refused("bad_value", "recipient id '" + id.substr(0, 64) + "' must be " + topics::kIdRule);
    }
  }
  for (const auto& tag : r.tags) {
    if (!topics::valid_name(tag)) {
      return refused("bad_value", "tag '" + tag.substr(0, 64) + "' must be 1-64 characters of [A-Za-z0-9_.-]");
    }
  }
  if (r.ttl_s > kMaxTtlS) {
    return refused("bad_value",
                   "ttl_s=" + std::to_string(r.ttl_s) + " is over " + std::to_string(kMaxTtlS) + " (7 days)");
  }
  if (auto st = check_duration("after_s", r.after_s); !st) return st;
  if (auto st = check_duration("for_s", r.for_s); !st) return st;
  switch (r.type) {
    case RuleType::kDeviceOffline:
      if (r.after_s <= 0) return refused("bad_duration", "device_offline rule " + r.id + " needs after_s > 0");
      break;
    case RuleType::kStatusThreshold:
      if (!r.kind || *r.kind == v1::DEVICE_KIND_UNSPECIFIED) {
        return refused("unknown_field",
                       "status_threshold rule " + r.id + " needs a kind (poster, rider or encoder) to name its field");
      }
      if (!find_status_field(*r.kind, r.field)) {
        std::string known = field_names(*r.kind);
        return refused("unknown_field", "'" + r.field.substr(0, 64) + "' is not a " + topics::kind_name(*r.kind) +
                                            " status field" + (known.empty() ? "" : " (known: " + known + ")"));
      }
      if (!std::isfinite(r.threshold)) return refused("bad_value", "threshold must be a finite number");
      break;
    case RuleType::kSiteOffline:
      if (!(r.offline_pct >= 0 && r.offline_pct < 100)) {
        return refused("bad_value", "offline_pct must be at least 0 and below 100");
      }
      if (r.min_devices < 1 || r.min_devices > 1'000'000) {
        return refused("bad_value", "min_devices must be 1..1000000");
      }
      break;
  }
  return {};
}

}  // namespace tidewire::alerts

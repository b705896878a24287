// Rules in their schema, tidewire.v1.AlertRule: JSON through protobuf's JSON mapping
// (protocols/json.hpp), then the schema's strings into the domain's types. Checking the
// values is validate()'s job (alert_rule.cpp).
#include <set>

#include "tidewire/alerts/alert_rule.hpp"
#include "tidewire/protocols/json.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::alerts {
namespace {

Error refused(const char* reason, std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message), reason);
}

std::string shown(std::string_view s) {
  return std::string(s.substr(0, 64));
}

Expected<RuleType> parse_type(const std::string& name) {
  if (name == "device_offline") return RuleType::kDeviceOffline;
  if (name == "status_threshold") return RuleType::kStatusThreshold;
  if (name == "site_offline") return RuleType::kSiteOffline;
  if (name.empty())
    return refused("unknown_type", "rule has no \"type\" (device_offline, status_threshold or site_offline)");
  return refused("unknown_type",
                 "unknown rule type '" + shown(name) + "' (expected device_offline, status_threshold or site_offline)");
}

// The type-specific keys that are present and not part of `type`'s rules.
Status only_keys_of(RuleType type, const v1::AlertRule& p) {
  struct Key {
    const char* name;
    bool present;
    std::set<RuleType> types;
  };
  const Key keys[] = {
      {"after_s", p.has_after_s(), {RuleType::kDeviceOffline}},
      {"field", p.has_field(), {RuleType::kStatusThreshold}},
      {"op", p.has_op(), {RuleType::kStatusThreshold}},
      {"threshold", p.has_threshold(), {RuleType::kStatusThreshold}},
      {"for_s", p.has_for_s(), {RuleType::kStatusThreshold, RuleType::kSiteOffline}},
      {"offline_pct", p.has_offline_pct(), {RuleType::kSiteOffline}},
      {"min_devices", p.has_min_devices(), {RuleType::kSiteOffline}},
  };
  for (const auto& k : keys) {
    if (k.present && !k.types.count(type)) {
      return refused("unknown_key",
                     std::string("key \"") + k.name + "\" is not part of a " + type_name(type) + " rule");
    }
  }
  return {};
}

}  // namespace

v1::AlertRule to_proto(const AlertRule& r) {
  v1::AlertRule p;
  p.set_id(r.id);
  p.set_type(type_name(r.type));
  for (const auto& id : r.recipient_ids) p.add_recipient_ids(id);
  for (const auto& tag : r.tags) p.add_tags(tag);
  p.set_priority(r.priority == v1::PUSH_PRIORITY_HIGH ? "high" : "normal");
  p.set_ttl_s(static_cast<int32_t>(r.ttl_s));  // validated: at most kMaxTtlS
  p.set_source(r.source == RuleSource::kFile ? "file" : "api");
  if (r.site) p.set_site(*r.site);
  if (r.kind) p.set_kind(topics::kind_name(*r.kind));
  // Durations and min_devices are validated far inside int32 (30 days, 1,000,000).
  switch (r.type) {
    case RuleType::kDeviceOffline: p.set_after_s(static_cast<int32_t>(r.after_s)); break;
    case RuleType::kStatusThreshold:
      p.set_field(r.field);
      p.set_op(r.op == Comparison::kBelow ? "<" : ">");
      p.set_threshold(r.threshold);
      p.set_for_s(static_cast<int32_t>(r.for_s));
      break;
    case RuleType::kSiteOffline:
      p.set_offline_pct(r.offline_pct);
      p.set_min_devices(static_cast<int32_t>(r.min_devices));
      p.set_for_s(static_cast<int32_t>(r.for_s));
      break;
  }
  return p;
}

Expected<AlertRule> from_proto(const v1::AlertRule& p, RuleSource source) {
  AlertRule r;
  r.source = source;
  auto type = parse_type(p.type());
  if (!type) return type.error();
  r.type = *type;
  if (auto st = only_keys_of(r.type, p); !st) return st.error();
  r.id = p.id();
  if (p.has_site()) r.site = p.site();
  if (p.has_kind()) {
    auto kind = topics::parse_kind(p.kind());
    if (!kind) return refused("bad_value", kind.error().message);
    r.kind = *kind;
  }
  r.after_s = p.after_s();
  r.for_s = p.for_s();
  r.field = p.field();
  if (r.type == RuleType::kStatusThreshold) {
    if (!p.has_op()) return refused("bad_value", "status_threshold rule needs \"op\": \"<\" or \">\"");
    if (p.op() != "<" && p.op() != ">") {
      return refused("bad_value", "op must be \"<\" or \">\", not '" + shown(p.op()) + "'");
    }
    r.op = p.op() == "<" ? Comparison::kBelow : Comparison::kAbove;
    if (!p.has_threshold()) return refused("bad_value", "status_threshold rule needs a numeric \"threshold\"");
    r.threshold = p.threshold();
  }
  if (r.type == RuleType::kSiteOffline) {
    if (!p.has_offline_pct()) {
      return refused("bad_value", "site_offline rule needs \"offline_pct\" (0 <= pct < 100)");
    }
    r.offline_pct = p.offline_pct();
    if (p.has_min_devices()) r.min_devices = p.min_devices();
  }
  r.recipient_ids.assign(p.recipient_ids().begin(), p.recipient_ids().end());
  r.tags.assign(p.tags().begin(), p.tags().end());
  if (p.priority() == "high" || p.priority().empty()) {
    r.priority = v1::PUSH_PRIORITY_HIGH;
  } else if (p.priority() == "normal") {
    r.priority = v1::PUSH_PRIORITY_NORMAL;
  } else {
    return refused("bad_value", "priority must be \"normal\" or \"high\", not '" + shown(p.priority()) + "'");
  }
  if (p.ttl_s() < 0 || static_cast<uint32_t>(p.ttl_s()) > kMaxTtlS) {
    return refused("bad_value", "ttl_s must be 0.." + std::to_string(kMaxTtlS));
  }
  r.ttl_s = static_cast<uint32_t>(p.ttl_s());
  return r;
}

ParsedRule parse_rule_json(std::string_view json, RuleSource source) {
  v1::AlertRule proto;
  if (auto st = protocols::from_json(json, proto); !st) return {std::nullopt, st.error()};
  auto rule = from_proto(proto, source);
  if (!rule) return {std::nullopt, rule.error()};
  if (auto st = validate(*rule); !st) return {std::nullopt, st.error()};
  return {std::move(*rule), {}};
}

std::string rule_to_json(const AlertRule& rule) {
  return protocols::to_json(to_proto(rule));
}

ParsedFile parse_rules_text(std::string_view text) {
  ParsedFile out;
  std::set<std::string> ids;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] == '#') continue;
    auto parsed = parse_rule_json(line, RuleSource::kFile);
    if (!parsed.rule) {
      out.error = FileError{line_no, parsed.error};
      out.rules.clear();
      return out;
    }
    if (!ids.insert(parsed.rule->id).second) {
      out.error =
          FileError{line_no, refused("duplicate_id", "rule id " + parsed.rule->id + " is used on an earlier line")};
      out.rules.clear();
      return out;
    }
    out.rules.push_back(std::move(*parsed.rule));
  }
  return out;
}

}  // namespace tidewire::alerts

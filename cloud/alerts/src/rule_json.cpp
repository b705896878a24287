// Rules as JSON: parsed through protobuf's google.protobuf.Struct (the JSON parser the
// rest of the cloud already uses), then read key by key so every error names its key.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <set>

#include "http/http.hpp"
#include "tidewire/alerts/alert_rule.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::alerts {
namespace {

using google::protobuf::Value;

struct Fail {
  RuleError error;
};

std::string shown(std::string_view s) {
  return std::string(s.substr(0, 64));
}

const std::set<std::string>& keys_for(RuleType type) {
  static const std::set<std::string> offline{"id",   "type",     "site",  "kind",  "after_s", "recipient_ids",
                                             "tags", "priority", "ttl_s", "source"};
  static const std::set<std::string> threshold{"id",       "type",      "site",  "kind",          "field",
                                               "op",       "threshold", "for_s", "recipient_ids", "tags",
                                               "priority", "ttl_s",     "source"};
  static const std::set<std::string> site{"id",          "type",          "site", "kind",     "for_s", "offline_pct",
                                          "min_devices", "recipient_ids", "tags", "priority", "ttl_s", "source"};
  switch (type) {
    case RuleType::kDeviceOffline: return offline;
    case RuleType::kStatusThreshold: return threshold;
    case RuleType::kSiteOffline: break;
  }
  return site;
}

std::string text(const Value& v, const std::string& key) {
  if (v.kind_case() != Value::kStringValue) throw Fail{{"bad_value", key + " must be a string"}};
  return v.string_value();
}

double number(const Value& v, const std::string& key) {
  if (v.kind_case() != Value::kNumberValue) throw Fail{{"bad_value", key + " must be a number"}};
  return v.number_value();
}

int64_t whole(const Value& v, const std::string& key, const char* reason) {
  double d = number(v, key);
  if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 1e15) {
    throw Fail{{reason, key + " must be a whole number"}};
  }
  return static_cast<int64_t>(d);
}

std::vector<std::string> strings(const Value& v, const std::string& key) {
  if (v.kind_case() != Value::kListValue) throw Fail{{"bad_value", key + " must be a list of strings"}};
  std::vector<std::string> out;
  for (const auto& item : v.list_value().values()) out.push_back(text(item, key + " item"));
  return out;
}

RuleType parse_type(const std::string& name) {
  if (name == "device_offline") return RuleType::kDeviceOffline;
  if (name == "status_threshold") return RuleType::kStatusThreshold;
  if (name == "site_offline") return RuleType::kSiteOffline;
  throw Fail{{"unknown_type",
              "unknown rule type '" + shown(name) + "' (expected device_offline, status_threshold or site_offline)"}};
}

AlertRule read_rule(const google::protobuf::Struct& obj, RuleSource source) {
  const auto& f = obj.fields();
  auto type_it = f.find("type");
  if (type_it == f.end()) {
    throw Fail{{"unknown_type", "rule has no \"type\" (device_offline, status_threshold or site_offline)"}};
  }
  AlertRule r;
  r.source = source;
  r.type = parse_type(text(type_it->second, "type"));
  const auto& allowed = keys_for(r.type);
  for (const auto& [key, value] : f) {
    (void)value;
    if (!allowed.count(key)) {
      throw Fail{{"unknown_key", "key \"" + shown(key) + "\" is not part of a " + type_name(r.type) + " rule"}};
    }
  }
  auto get = [&f](const char* key) -> const Value* {
    auto it = f.find(key);
    return it == f.end() || it->second.kind_case() == Value::kNullValue ? nullptr : &it->second;
  };
  if (auto* v = get("id")) r.id = text(*v, "id");
  if (auto* v = get("site")) r.site = text(*v, "site");
  if (auto* v = get("kind")) {
    auto kind = topics::parse_kind(text(*v, "kind"));
    if (!kind) throw Fail{{"bad_value", kind.error().message}};
    r.kind = *kind;
  }
  if (auto* v = get("after_s")) r.after_s = whole(*v, "after_s", "bad_duration");
  if (auto* v = get("for_s")) r.for_s = whole(*v, "for_s", "bad_duration");
  if (auto* v = get("field")) r.field = text(*v, "field");
  if (r.type == RuleType::kStatusThreshold) {
    auto* op = get("op");
    if (!op) throw Fail{{"bad_value", "status_threshold rule needs \"op\": \"<\" or \">\""}};
    std::string o = text(*op, "op");
    if (o != "<" && o != ">") throw Fail{{"bad_value", "op must be \"<\" or \">\", not '" + shown(o) + "'"}};
    r.op = o == "<" ? Comparison::kBelow : Comparison::kAbove;
    auto* t = get("threshold");
    if (!t) throw Fail{{"bad_value", "status_threshold rule needs a numeric \"threshold\""}};
    r.threshold = number(*t, "threshold");
  }
  if (r.type == RuleType::kSiteOffline) {
    auto* pct = get("offline_pct");
    if (!pct) throw Fail{{"bad_value", "site_offline rule needs \"offline_pct\" (0 <= pct < 100)"}};
    r.offline_pct = number(*pct, "offline_pct");
    if (auto* v = get("min_devices")) r.min_devices = whole(*v, "min_devices", "bad_value");
  }
  if (auto* v = get("recipient_ids")) r.recipient_ids = strings(*v, "recipient_ids");
  if (auto* v = get("tags")) r.tags = strings(*v, "tags");
  if (auto* v = get("priority")) {
    std::string p = text(*v, "priority");
    if (p == "high") {
      r.priority = v1::PUSH_PRIORITY_HIGH;
    } else if (p == "normal") {
      r.priority = v1::PUSH_PRIORITY_NORMAL;
    } else {
      throw Fail{{"bad_value", "priority must be \"normal\" or \"high\", not '" + shown(p) + "'"}};
    }
  }
  if (auto* v = get("ttl_s")) {
    int64_t ttl = whole(*v, "ttl_s", "bad_value");
    if (ttl < 0 || ttl > kMaxTtlS) throw Fail{{"bad_value", "ttl_s must be 0.." + std::to_string(kMaxTtlS)}};
    r.ttl_s = static_cast<uint32_t>(ttl);
  }
  return r;
}

void append_list(std::string& out, const char* key, const std::vector<std::string>& items) {
  out += ",\"";
  out += key;
  out += "\":[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + http::json_quote(items[i]);
  out += "]";
}

std::string number_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

ParsedRule parse_rule_json(std::string_view json, RuleSource source) {
  google::protobuf::Struct obj;
  auto st = google::protobuf::util::JsonStringToMessage(std::string(json), &obj);
  if (!st.ok()) {
    std::string why(st.message());
    return {std::nullopt, {"invalid_json", "a rule must be one JSON object: " + why.substr(0, why.find('\n'))}};
  }
  try {
    AlertRule rule = read_rule(obj, source);
    if (auto e = validate(rule)) return {std::nullopt, *e};
    return {std::move(rule), {}};
  } catch (const Fail& fail) {
    return {std::nullopt, fail.error};
  }
}

std::string rule_to_json(const AlertRule& r) {
  std::string out = "{\"id\":" + http::json_quote(r.id) + ",\"type\":\"" + type_name(r.type) + "\"";
  if (r.site) out += ",\"site\":" + http::json_quote(*r.site);
  if (r.kind) out += ",\"kind\":\"" + std::string(topics::kind_name(*r.kind)) + "\"";
  switch (r.type) {
    case RuleType::kDeviceOffline: out += ",\"after_s\":" + std::to_string(r.after_s); break;
    case RuleType::kStatusThreshold:
      out += ",\"field\":" + http::json_quote(r.field) + ",\"op\":\"" + (r.op == Comparison::kBelow ? "<" : ">") +
             "\",\"threshold\":" + number_text(r.threshold) + ",\"for_s\":" + std::to_string(r.for_s);
      break;
    case RuleType::kSiteOffline:
      out += ",\"offline_pct\":" + number_text(r.offline_pct) + ",\"min_devices\":" + std::to_string(r.min_devices) +
             ",\"for_s\":" + std::to_string(r.for_s);
      break;
  }
  append_list(out, "recipient_ids", r.recipient_ids);
  append_list(out, "tags", r.tags);
  out += std::string(",\"priority\":\"") + (r.priority == v1::PUSH_PRIORITY_HIGH ? "high" : "normal") + "\"";
  out += ",\"ttl_s\":" + std::to_string(r.ttl_s);
  out += std::string(",\"source\":\"") + (r.source == RuleSource::kFile ? "file" : "api") + "\"}";
  return out;
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
      out.error = FileError{line_no, {"duplicate_id", "rule id " + parsed.rule->id + " is used on an earlier line"}};
      out.rules.clear();
      return out;
    }
    out.rules.push_back(std::move(*parsed.rule));
  }
  return out;
}

}  // namespace tidewire::alerts

// Dispatch regions: the --dispatch-regions parser and checks (region.hpp).
#include "tidewire/dispatch/region.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace tidewire::dispatch {
namespace {

Error bad(const std::string& what) {
  return make_error(ErrorCode::kInvalidArgument, what);
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) out.push_back(trim(part));
  if (!s.empty() && s.back() == sep) out.emplace_back();  // getline drops a trailing empty field
  return out;
}

std::optional<double> number(const std::string& text) {
  if (text.empty() || text.size() > 32) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || end == nullptr || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string label(size_t i, const std::string& name) {
  return "dispatch region " + std::to_string(i + 1) + (name.empty() ? "" : " ('" + name.substr(0, 32) + "')");
}

constexpr const char* kFormat = "name:lat_min,lon_min,lat_max,lon_max:instant|batch[:interval_s]";

Expected<Region> parse_one(size_t i, const std::string& text) {
  auto fields = split(text, ':');
  std::string name = fields.empty() ? std::string() : fields[0];
  if (fields.size() < 3 || fields.size() > 4) {
    return bad(label(i, name) + ": expected " + kFormat + ", got '" + text.substr(0, 80) + "'");
  }
  Region r;
  r.name = name;
  auto box = split(fields[1], ',');
  if (box.size() != 4) {
    return bad(label(i, name) + ": the box needs 4 numbers lat_min,lon_min,lat_max,lon_max, got '" +
               fields[1].substr(0, 80) + "'");
  }
  double* slots[4] = {&r.lat_min, &r.lon_min, &r.lat_max, &r.lon_max};
  for (size_t k = 0; k < 4; ++k) {
    auto v = number(box[k]);
    if (!v) return bad(label(i, name) + ": '" + box[k].substr(0, 32) + "' is not a number");
    *slots[k] = *v;
  }
  auto kind = parse_policy(fields[2]);
  if (!kind) return kind.error().with_context(label(i, name));
  r.kind = *kind;
  if (fields.size() == 4) {
    auto s = number(fields[3]);
    if (!s) return bad(label(i, name) + ": interval '" + fields[3].substr(0, 32) + "' is not a number of seconds");
    // A value outside the accepted range is refused by validate(); llround must not overflow.
    r.batch_interval_ms = (*s > 0 && *s <= 1e7) ? std::llround(*s * 1000.0) : -1;
  }
  return r;
}

}  // namespace

bool Region::contains(double lat, double lon) const {
  return lat >= lat_min && lat <= lat_max && lon >= lon_min && lon <= lon_max;
}

Expected<std::vector<Region>> parse_regions(const std::string& text) {
  std::vector<Region> out;
  if (trim(text).empty()) return out;
  auto parts = split(text, ';');
  // One trailing ';' is tolerated (easy to leave when editing a config file).
  if (parts.size() > 1 && parts.back().empty()) parts.pop_back();
  if (parts.size() > kMaxRegions) {
    return bad("at most " + std::to_string(kMaxRegions) + " dispatch regions, got " + std::to_string(parts.size()))
        .with_context("--dispatch-regions");
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) return bad(label(i, "") + " is empty (two ';' in a row?)").with_context("--dispatch-regions");
    auto r = parse_one(i, parts[i]);
    if (!r) return r.error().with_context("--dispatch-regions");
    out.push_back(std::move(*r));
  }
  if (auto st = validate(out); !st) return st.error().with_context("--dispatch-regions");
  return out;
}

Status validate(const std::vector<Region>& regions) {
  if (regions.size() > kMaxRegions) {
    return bad("at most " + std::to_string(kMaxRegions) + " dispatch regions, got " + std::to_string(regions.size()));
  }
  for (size_t i = 0; i < regions.size(); ++i) {
    const Region& r = regions[i];
    if (!valid_name(r.name)) return bad(label(i, r.name) + ": the name must be 1-32 characters of [A-Za-z0-9_.-]");
    for (size_t j = 0; j < i; ++j) {
      if (regions[j].name == r.name)
        return bad(label(i, r.name) + ": the name is already used by region " + std::to_string(j + 1));
    }
    bool finite =
        std::isfinite(r.lat_min) && std::isfinite(r.lat_max) && std::isfinite(r.lon_min) && std::isfinite(r.lon_max);
    if (!finite || r.lat_min < -90 || r.lat_max > 90 || r.lon_min < -180 || r.lon_max > 180) {
      return bad(label(i, r.name) + ": latitudes must be within -90..90 and longitudes within -180..180");
    }
    if (!(r.lat_min < r.lat_max) || !(r.lon_min < r.lon_max)) {
      return bad(label(i, r.name) +
                 ": the box is lat_min,lon_min,lat_max,lon_max with each min below its max "
                 "(boxes across the antimeridian are not supported: split them in two)");
    }
    if (r.kind == PolicyKind::kInstant && r.batch_interval_ms != 0) {
      return bad(label(i, r.name) + ": an interval applies to a batch region only (instant offers on arrival)");
    }
    if (r.batch_interval_ms != 0 && (r.batch_interval_ms < 100 || r.batch_interval_ms > 3'600'000)) {
      return bad(label(i, r.name) + ": the batch interval must be 0.1-3600 s");
    }
    // First match wins, so a box wholly inside an earlier one would never be used: that is
    // a mistake in the list's order, not a rule to apply silently.
    for (size_t j = 0; j < i; ++j) {
      const Region& e = regions[j];
      if (r.lat_min >= e.lat_min && r.lat_max <= e.lat_max && r.lon_min >= e.lon_min && r.lon_max <= e.lon_max) {
        return bad(label(i, r.name) + " lies wholly inside the earlier region '" + e.name +
                   "' and would never match (the first region holding a pickup wins: list the smaller one first)");
      }
    }
  }
  return {};
}

std::optional<size_t> region_of(const std::vector<Region>& regions, double lat, double lon) {
  for (size_t i = 0; i < regions.size(); ++i)
    if (regions[i].contains(lat, lon)) return i;
  return std::nullopt;
}

std::string describe(const std::vector<Region>& regions) {
  std::ostringstream out;
  for (size_t i = 0; i < regions.size(); ++i) {
    const Region& r = regions[i];
    out << (i ? "," : "") << r.name << "=" << policy_name(r.kind);
    if (r.batch_interval_ms) out << "/" << static_cast<double>(r.batch_interval_ms) / 1000.0 << "s";
  }
  return out.str();
}

}  // namespace tidewire::dispatch

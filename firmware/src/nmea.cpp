#include "tidewire/firmware/nmea.hpp"

#include <charconv>
#include <cmath>
#include <vector>

namespace tidewire::firmware::nmea {
namespace {

constexpr double kKnotsToMps = 0.514444;
// Receivers limit sentences to 82 characters; allow some slack for vendor extensions.
constexpr size_t kMaxLine = 128;
constexpr double kUereMeters = 5.0;

Error bad(const std::string& why) {
  return make_error(ErrorCode::kMalformed, "nmea: " + why);
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

bool to_double(std::string_view s, double& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(out);
}

bool to_int(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// "ddmm.mmmm" / "dddmm.mmmm" plus hemisphere -> signed degrees. Both empty -> no position.
Expected<std::optional<double>> coordinate(std::string_view value, std::string_view hemisphere, bool latitude) {
  if (value.empty() && hemisphere.empty()) return std::optional<double>();
  double raw = 0;
  if (!to_double(value, raw) || raw < 0) return bad("coordinate '" + std::string(value) + "' is not a number");
  double degrees = std::floor(raw / 100);
  double minutes = raw - degrees * 100;
  if (minutes >= 60) return bad("coordinate minutes over 60");
  double deg = degrees + minutes / 60;
  const char* hemis = latitude ? "NS" : "EW";
  if (hemisphere.size() != 1 || (hemisphere[0] != hemis[0] && hemisphere[0] != hemis[1]))
    return bad(std::string("hemisphere must be ") + hemis[0] + " or " + hemis[1]);
  if (deg > (latitude ? 90.0 : 180.0)) return bad(latitude ? "latitude over 90" : "longitude over 180");
  return std::optional<double>(hemisphere[0] == hemis[1] ? -deg : deg);
}

Expected<std::optional<Position>> position(std::string_view lat, std::string_view ns, std::string_view lon,
                                           std::string_view ew) {
  auto la = coordinate(lat, ns, true);
  if (!la) return la.error();
  auto lo = coordinate(lon, ew, false);
  if (!lo) return lo.error();
  if (la->has_value() != lo->has_value()) return bad("latitude without longitude");
  if (!la->has_value()) return std::optional<Position>();
  return std::optional<Position>(Position{**la, **lo});
}

Expected<Rmc> parse_rmc(const std::vector<std::string_view>& f) {
  if (f.size() < 10) return bad("RMC needs at least 10 fields");
  Rmc r;
  if (f[2] != "A" && f[2] != "V") return bad("RMC status must be A or V");
  r.active = f[2] == "A";
  auto pos = position(f[3], f[4], f[5], f[6]);
  if (!pos) return pos.error();
  r.position = *pos;
  if (!f[7].empty()) {
    double knots = 0;
    if (!to_double(f[7], knots) || knots < 0) return bad("RMC speed is not a number");
    r.speed_mps = knots * kKnotsToMps;
  }
  if (!f[8].empty()) {
    double course = 0;
    if (!to_double(f[8], course) || course < 0 || course > 360) return bad("RMC course not in 0..360");
    r.course_deg = course;
  }
  if (r.active && !r.position) return bad("RMC active without a position");
  return r;
}

Expected<Gga> parse_gga(const std::vector<std::string_view>& f) {
  if (f.size() < 10) return bad("GGA needs at least 10 fields");
  Gga g;
  if (!to_int(f[6], g.quality) || g.quality < 0 || g.quality > 9) return bad("GGA fix quality not 0..9");
  if (!f[7].empty() && (!to_int(f[7], g.satellites) || g.satellites < 0)) return bad("GGA satellites not a number");
  if (!f[8].empty()) {
    double hdop = 0;
    if (!to_double(f[8], hdop) || hdop < 0) return bad("GGA HDOP not a number");
    g.hdop = hdop;
  }
  auto pos = position(f[2], f[3], f[4], f[5]);
  if (!pos) return pos.error();
  g.position = *pos;
  return g;
}

}  // namespace

uint8_t checksum(std::string_view body) {
  uint8_t sum = 0;
  for (char c : body) sum = static_cast<uint8_t>(sum ^ static_cast<uint8_t>(c));
  return sum;
}

Expected<Sentence> parse(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.size() > kMaxLine) return bad("line longer than " + std::to_string(kMaxLine) + " bytes");
  if (line.empty() || line[0] != '$') return bad("line does not start with '$'");
  for (char c : line) {
    if (c < 0x20 || c > 0x7e) return bad("non-printable byte in line");
  }
  size_t star = line.rfind('*');
  if (star == std::string_view::npos || star + 3 != line.size()) return bad("missing '*hh' checksum");
  int hi = hex_digit(line[star + 1]), lo = hex_digit(line[star + 2]);
  if (hi < 0 || lo < 0) return bad("checksum is not two hex digits");
  std::string_view body = line.substr(1, star - 1);
  if (checksum(body) != static_cast<uint8_t>(hi * 16 + lo)) return bad("checksum mismatch");

  auto fields = split(body);
  std::string_view address = fields[0];
  if (address.size() != 5) return bad("address field must be 5 characters");
  Sentence s;
  s.talker = std::string(address.substr(0, 2));
  s.type = std::string(address.substr(2));
  if (s.type == "RMC") {
    auto rmc = parse_rmc(fields);
    if (!rmc) return rmc.error();
    s.rmc = *rmc;
  } else if (s.type == "GGA") {
    auto gga = parse_gga(fields);
    if (!gga) return gga.error();
    s.gga = *gga;
  }
  return s;
}

Status GpsTracker::feed(std::string_view line) {
  auto s = parse(line);
  if (!s) {
    ++rejected_;
    return s.error();
  }
  ++accepted_;
  if (s->rmc) {
    const Rmc& r = *s->rmc;
    fix_.valid = r.active;
    if (r.active) {
      fix_.lat_deg = r.position->lat_deg;
      fix_.lon_deg = r.position->lon_deg;
      fix_.speed_mps = r.speed_mps;
      if (r.course_deg) fix_.heading_deg = *r.course_deg >= 360 ? 0 : *r.course_deg;
    }
  } else if (s->gga) {
    const Gga& g = *s->gga;
    if (g.quality == 0) {
      fix_.valid = false;
    } else if (g.position) {
      fix_.valid = true;
      fix_.lat_deg = g.position->lat_deg;
      fix_.lon_deg = g.position->lon_deg;
    }
    if (g.hdop) fix_.accuracy_m = *g.hdop * kUereMeters;
  }
  return {};
}

}  // namespace tidewire::firmware::nmea

// Synthetic delivery days and their CSV files.
#include "tidewire/sim/day.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "tidewire/common/random.hpp"
#include "tidewire/dispatch/geo.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::sim {
namespace {

constexpr int64_t kHour = 3600;
constexpr double kPi = 3.14159265358979323846;

// Standard normal by Box-Muller; written out so the sequence depends only on the engine.
double normal(Random& random) {
  double u1 = std::max(random.unit(), 1e-12);
  double u2 = random.unit();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
}

// Placement time: 40% lunch (12:00, sd 45 min), 40% dinner (18:30, sd 60 min), 20% spread
// over opening hours; everything kept within 09:00..23:00.
int64_t placed_time(Random& random) {
  double r = random.unit();
  double t;
  if (r < 0.4) {
    t = 12.0 * kHour + normal(random) * 45 * 60;
  } else if (r < 0.8) {
    t = 18.5 * kHour + normal(random) * 60 * 60;
  } else {
    t = 9.0 * kHour + random.unit() * 14 * kHour;
  }
  return std::clamp<int64_t>(std::llround(t), 9 * kHour, 23 * kHour - 1);
}

std::string numbered(const char* prefix, int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%05d", prefix, n);
  return buf;
}

}  // namespace

Status validate(const DayOptions& o) {
  if (o.orders < 1 || o.orders > 1'000'000) return make_error(ErrorCode::kInvalidArgument, "--orders-per-day must be 1..1000000");
  if (o.riders < 1 || o.riders > 100'000) return make_error(ErrorCode::kInvalidArgument, "--riders must be 1..100000");
  if (!(o.city_radius_m >= 500 && o.city_radius_m <= 100'000)) {
    return make_error(ErrorCode::kInvalidArgument, "city radius must be 500 m..100 km");
  }
  if (!dispatch::is_valid({o.centre_lat, o.centre_lon})) return make_error(ErrorCode::kInvalidArgument, "bad city centre");
  return {};
}

Day generate_day(const DayOptions& o) {
  SeededRandom random(o.seed);
  const dispatch::LatLon centre{o.centre_lat, o.centre_lon};
  Day day;

  // Merchants: one per ~40 orders of the day (10..300), 70% in five food streets.
  int merchant_count = std::clamp(o.orders / 40, 10, 300);
  std::vector<dispatch::LatLon> streets;
  for (int i = 0; i < 5; ++i) streets.push_back(dispatch::random_point_within(random, centre, o.city_radius_m * 0.6));
  std::vector<dispatch::LatLon> merchants;
  for (int i = 0; i < merchant_count; ++i) {
    if (random.unit() < 0.7) {
      merchants.push_back(dispatch::random_point_within(random, streets[random.uniform(0, streets.size() - 1)], 400));
    } else {
      merchants.push_back(dispatch::random_point_within(random, centre, o.city_radius_m * 0.8));
    }
  }

  std::vector<int64_t> placed(static_cast<size_t>(o.orders));
  for (auto& t : placed) t = placed_time(random);
  std::sort(placed.begin(), placed.end());
  day.orders.reserve(placed.size());
  for (size_t i = 0; i < placed.size(); ++i) {
    DayOrder order;
    order.id = numbered("o-", static_cast<int>(i + 1));
    order.placed_s = placed[i];
    order.ready_s = placed[i] + 8 * 60 + static_cast<int64_t>(random.uniform(0, 12 * 60));
    const auto& m = merchants[random.uniform(0, merchants.size() - 1)];
    order.pickup_lat = m.lat;
    order.pickup_lon = m.lon;
    // Drop-off 0.3-3.5 km away in a random direction.
    double distance = 300 + random.unit() * 3'200;
    double bearing = random.unit() * 2 * kPi;
    auto drop = dispatch::offset_m(m, distance * std::cos(bearing), distance * std::sin(bearing));
    order.dropoff_lat = drop.lat;
    order.dropoff_lon = drop.lon;
    day.orders.push_back(order);
  }

  for (int i = 0; i < o.riders; ++i) {
    DayRider rider;
    rider.id = numbered("rider-", i + 1);
    auto p = dispatch::random_point_within(random, centre, o.city_radius_m * 0.8);
    rider.lat = p.lat;
    rider.lon = p.lon;
    double r = random.unit();
    if (r < 0.4) {  // lunch shift
      rider.on_s = 10 * kHour + 30 * 60;
      rider.off_s = 14 * kHour + 30 * 60;
    } else if (r < 0.8) {  // dinner shift
      rider.on_s = 16 * kHour + 30 * 60;
      rider.off_s = 21 * kHour + 30 * 60;
    } else {  // the whole day
      rider.on_s = 9 * kHour;
      rider.off_s = 23 * kHour;
    }
    // Staggered by up to 30 min, as people arrive.
    int64_t stagger = static_cast<int64_t>(random.uniform(0, 30 * 60));
    rider.on_s += stagger;
    rider.off_s += stagger;
    day.riders.push_back(rider);
  }
  return day;
}

namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) out.push_back(field);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

bool parse_number(const std::string& text, double& out) {
  if (text.empty() || text.size() > 64) return false;
  errno = 0;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return errno == 0 && end != nullptr && *end == '\0' && std::isfinite(out);
}

bool parse_seconds(const std::string& text, int64_t& out) {
  double v = 0;
  if (!parse_number(text, v) || v < 0 || v > 7 * 24 * 3600 || v != std::floor(v)) return false;
  out = static_cast<int64_t>(v);
  return true;
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
  });
}

// Reads `path`, checks the header, and hands each data row (split) to `row`, which
// returns an error message or "" for a good row.
template <typename Row>
Status read_csv(const std::string& path, const std::string& header, size_t fields, Row row) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::kNotFound, "cannot open " + path);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (n == 1) {
      if (line != header) {
        return make_error(ErrorCode::kMalformed, path + ":1: the header must be '" + header + "'");
      }
      continue;
    }
    if (line.empty()) continue;
    auto cols = split_csv_line(line);
    std::string where = path + ":" + std::to_string(n) + ": ";
    if (cols.size() != fields) {
      return make_error(ErrorCode::kMalformed,
                        where + std::to_string(cols.size()) + " fields, expected " + std::to_string(fields));
    }
    if (std::string why = row(cols); !why.empty()) return make_error(ErrorCode::kMalformed, where + why);
  }
  if (n == 0) return make_error(ErrorCode::kMalformed, path + ": empty file, expected the header '" + header + "'");
  return {};
}

const char* kOrdersHeader = "order_id,placed_s,ready_s,pickup_lat,pickup_lon,dropoff_lat,dropoff_lon";
const char* kRidersHeader = "rider_id,lat,lon,on_s,off_s";

std::string check_point(const std::string& lat_text, const std::string& lon_text, double& lat, double& lon,
                        const char* what) {
  if (!parse_number(lat_text, lat) || !parse_number(lon_text, lon) || !dispatch::is_valid({lat, lon})) {
    return std::string(what) + " is not a valid lat,lon";
  }
  return "";
}

}  // namespace

Status write_orders_csv(const std::string& path, const std::vector<DayOrder>& orders) {
  std::ofstream out(path);
  out << kOrdersHeader << "\n";
  char buf[256];
  for (const auto& o : orders) {
    std::snprintf(buf, sizeof buf, "%s,%lld,%lld,%.6f,%.6f,%.6f,%.6f\n", o.id.c_str(),
                  static_cast<long long>(o.placed_s), static_cast<long long>(o.ready_s), o.pickup_lat, o.pickup_lon,
                  o.dropoff_lat, o.dropoff_lon);
    out << buf;
  }
  out.flush();
  if (!out) return make_error(ErrorCode::kIo, "cannot write " + path);
  return {};
}

Status write_riders_csv(const std::string& path, const std::vector<DayRider>& riders) {
  std::ofstream out(path);
  out << kRidersHeader << "\n";
  char buf[192];
  for (const auto& r : riders) {
    std::snprintf(buf, sizeof buf, "%s,%.6f,%.6f,%lld,%lld\n", r.id.c_str(), r.lat, r.lon,
                  static_cast<long long>(r.on_s), static_cast<long long>(r.off_s));
    out << buf;
  }
  out.flush();
  if (!out) return make_error(ErrorCode::kIo, "cannot write " + path);
  return {};
}

Expected<std::vector<DayOrder>> read_orders_csv(const std::string& path) {
  std::vector<DayOrder> orders;
  std::set<std::string> ids;
  auto st = read_csv(path, kOrdersHeader, 7, [&](const std::vector<std::string>& c) -> std::string {
    DayOrder o;
    o.id = c[0];
    if (!valid_id(o.id)) return "order_id '" + o.id + "' must be 1-64 of [A-Za-z0-9_.-]";
    if (!ids.insert(o.id).second) return "order_id '" + o.id + "' repeats an earlier row";
    if (!parse_seconds(c[1], o.placed_s)) return "placed_s must be whole seconds 0..604800";
    if (!parse_seconds(c[2], o.ready_s)) return "ready_s must be whole seconds 0..604800";
    if (o.ready_s < o.placed_s) return "ready_s is before placed_s";
    if (auto why = check_point(c[3], c[4], o.pickup_lat, o.pickup_lon, "pickup"); !why.empty()) return why;
    if (auto why = check_point(c[5], c[6], o.dropoff_lat, o.dropoff_lon, "dropoff"); !why.empty()) return why;
    orders.push_back(o);
    return "";
  });
  if (!st) return st.error();
  std::stable_sort(orders.begin(), orders.end(), [](auto& a, auto& b) { return a.placed_s < b.placed_s; });
  return orders;
}

Expected<std::vector<DayRider>> read_riders_csv(const std::string& path) {
  std::vector<DayRider> riders;
  std::set<std::string> ids;
  auto st = read_csv(path, kRidersHeader, 5, [&](const std::vector<std::string>& c) -> std::string {
    DayRider r;
    r.id = c[0];
    // A rider id is the rider terminal's device id: it travels in topics.
    if (!topics::valid_id(r.id)) return "rider_id '" + r.id + "' must be " + topics::kIdRule;
    if (!ids.insert(r.id).second) return "rider_id '" + r.id + "' repeats an earlier row";
    if (auto why = check_point(c[1], c[2], r.lat, r.lon, "position"); !why.empty()) return why;
    if (!parse_seconds(c[3], r.on_s)) return "on_s must be whole seconds 0..604800";
    if (!parse_seconds(c[4], r.off_s)) return "off_s must be whole seconds 0..604800";
    if (r.off_s <= r.on_s) return "off_s must be after on_s";
    riders.push_back(r);
    return "";
  });
  if (!st) return st.error();
  return riders;
}

}  // namespace tidewire::sim

#include "tidewire/dispatch/geo.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "haversine_term.hpp"

namespace tidewire::dispatch {

namespace {

std::string out_of_range(const char* field, double value, const char* range) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s %.9g is out of range %s", field, value, range);
  return buf;
}

}  // namespace

bool is_valid(const LatLon& p) {
  return std::isfinite(p.lat) && std::isfinite(p.lon) && std::fabs(p.lat) <= 90.0 && std::fabs(p.lon) <= 180.0;
}

Status validate(const LatLon& p) {
  if (!std::isfinite(p.lat)) return make_error(ErrorCode::kInvalidArgument, "latitude is not a finite number");
  if (!std::isfinite(p.lon)) return make_error(ErrorCode::kInvalidArgument, "longitude is not a finite number");
  if (std::fabs(p.lat) > 90.0)
    return make_error(ErrorCode::kInvalidArgument, out_of_range("latitude", p.lat, "[-90, 90]"));
  if (std::fabs(p.lon) > 180.0) {
    return make_error(ErrorCode::kInvalidArgument, out_of_range("longitude", p.lon, "[-180, 180]"));
  }
  return {};
}

double haversine_m(const LatLon& a, const LatLon& b) {
  if (!is_valid(a) || !is_valid(b)) return std::nan("");
  const double lat1 = a.lat * detail::kRadPerDeg;
  const double lat2 = b.lat * detail::kRadPerDeg;
  const double h =
      detail::haversine_term(lat1, std::cos(lat1), lat2, std::cos(lat2), (b.lon - a.lon) * detail::kRadPerDeg);
  return detail::metres_from_term(h);
}

double equirectangular_m(const LatLon& a, const LatLon& b) {
  if (!is_valid(a) || !is_valid(b)) return std::nan("");
  const double mean_lat = (a.lat + b.lat) * 0.5 * detail::kRadPerDeg;
  const double dx = normalize_lon(b.lon - a.lon) * std::cos(mean_lat);
  const double dy = b.lat - a.lat;
  return kMetresPerDegree * std::sqrt(dx * dx + dy * dy);
}

double normalize_lon(double lon) {
  if (!std::isfinite(lon)) return lon;
  double x = std::fmod(lon + 180.0, 360.0);
  if (x < 0) x += 360.0;
  return x - 180.0;
}

LatLon offset_m(const LatLon& p, double north_m, double east_m) {
  // Near a pole the parallel shrinks to nothing; a floor on the cosine keeps the east
  // step finite (the point then just lands somewhere on that tiny circle).
  const double cos_lat = std::max(std::cos(p.lat * detail::kRadPerDeg), 1e-12);
  LatLon out;
  out.lat = std::clamp(p.lat + north_m / kMetresPerDegree, -90.0, 90.0);
  out.lon = normalize_lon(p.lon + east_m / (kMetresPerDegree * cos_lat));
  return out;
}

LatLon random_point_within(Random& random, const LatLon& centre, double radius_m) {
  // sqrt of a uniform draw makes the density uniform over the area, not over the radius.
  const double r = radius_m * std::sqrt(random.unit());
  const double theta = 2.0 * std::numbers::pi * random.unit();
  return offset_m(centre, r * std::cos(theta), r * std::sin(theta));
}

}  // namespace tidewire::dispatch

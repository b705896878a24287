#pragma once
// Small-distance geodesy on a spherical Earth: accurate to well under a metre over the
// few kilometres a rider covers between status reports, which is all the agent needs.
#include <cmath>

namespace tidewire::firmware::geo {

inline constexpr double kEarthRadiusM = 6'371'000.0;
inline constexpr double kPi = 3.14159265358979323846;

inline double rad(double deg) {
  return deg * kPi / 180.0;
}
inline double deg(double rad) {
  return rad * 180.0 / kPi;
}

// Great-circle distance in metres (haversine).
inline double distance_m(double lat1, double lon1, double lat2, double lon2) {
  double dlat = rad(lat2 - lat1), dlon = rad(lon2 - lon1);
  double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
             std::cos(rad(lat1)) * std::cos(rad(lat2)) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::sqrt(std::fmin(1.0, a)));
}

// Initial bearing from 1 to 2, degrees clockwise from north in [0, 360).
inline double bearing_deg(double lat1, double lon1, double lat2, double lon2) {
  double y = std::sin(rad(lon2 - lon1)) * std::cos(rad(lat2));
  double x = std::cos(rad(lat1)) * std::sin(rad(lat2)) -
             std::sin(rad(lat1)) * std::cos(rad(lat2)) * std::cos(rad(lon2 - lon1));
  double b = std::fmod(deg(std::atan2(y, x)) + 360.0, 360.0);
  return b >= 360.0 ? 0.0 : b;
}

// The point `distance_m` away from (lat, lon) along `bearing`.
inline void destination(double lat, double lon, double bearing, double distance_m, double& out_lat, double& out_lon) {
  double d = distance_m / kEarthRadiusM, b = rad(bearing), la = rad(lat), lo = rad(lon);
  double la2 = std::asin(std::sin(la) * std::cos(d) + std::cos(la) * std::sin(d) * std::cos(b));
  double lo2 = lo + std::atan2(std::sin(b) * std::sin(d) * std::cos(la), std::cos(d) - std::sin(la) * std::sin(la2));
  out_lat = deg(la2);
  out_lon = std::remainder(deg(lo2), 360.0);
}

}  // namespace tidewire::firmware::geo

#pragma once
// The haversine of the central angle between two points, shared by haversine_m and the
// RiderIndex so that the index ranks riders with bit-for-bit the same numbers a caller
// gets from haversine_m (no "closer here, farther there" between the two).
#include <algorithm>
#include <cmath>
#include <numbers>

#include "tidewire/dispatch/geo.hpp"

namespace tidewire::dispatch::detail {

inline constexpr double kRadPerDeg = std::numbers::pi / 180.0;

// hav(angle) = sin^2(angle / 2). Inputs in radians, with the cosines of both latitudes
// precomputed (the index stores one per rider). Periodic in dlon, so the antimeridian
// needs no special case.
inline double haversine_term(double lat1_rad, double cos_lat1, double lat2_rad, double cos_lat2, double dlon_rad) {
  const double s_lat = std::sin((lat2_rad - lat1_rad) * 0.5);
  const double s_lon = std::sin(dlon_rad * 0.5);
  const double h = s_lat * s_lat + cos_lat1 * cos_lat2 * s_lon * s_lon;
  return std::min(h, 1.0);  // rounding can push antipodes a hair past 1
}

// Metres of arc for a haversine term.
inline double metres_from_term(double h) {
  return 2.0 * kEarthRadiusM * std::asin(std::sqrt(h));
}

// The haversine term of an arc of `metres` (clamped to half the circumference).
inline double term_from_metres(double metres) {
  const double s = std::sin(std::min(metres, kMaxDistanceM) / (2.0 * kEarthRadiusM));
  return s * s;
}

}  // namespace tidewire::dispatch::detail

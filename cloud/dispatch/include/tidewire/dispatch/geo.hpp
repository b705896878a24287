#pragma once
// Geography on a spherical Earth: positions, their validation and great-circle distances.
// A sphere is within ~0.5% of the ellipsoid, far below the error of a rider's GPS fix
// and of straight-line travel itself, and keeps every formula cheap and exact to test.
#include <numbers>

#include "tidewire/common/expected.hpp"
#include "tidewire/common/random.hpp"

namespace tidewire::dispatch {

// Degrees, WGS84-style: latitude north positive, longitude east positive.
struct LatLon {
  double lat = 0;
  double lon = 0;
  friend bool operator==(const LatLon&, const LatLon&) = default;
};

// IUGG mean Earth radius.
inline constexpr double kEarthRadiusM = 6'371'008.8;
// Length of one degree of arc on that sphere (one degree of latitude anywhere).
inline constexpr double kMetresPerDegree = kEarthRadiusM * std::numbers::pi / 180.0;
// Half the circumference: no two points are farther apart.
inline constexpr double kMaxDistanceM = kEarthRadiusM * std::numbers::pi;

// Finite, |lat| <= 90, |lon| <= 180.
bool is_valid(const LatLon& p);
// The same check with a message that names the bad field and its range, for HTTP 400s
// and rejected position reports.
Status validate(const LatLon& p);

// Great-circle distance in metres (haversine; numerically sound for short distances,
// which is all dispatch ever asks about). Handles the antimeridian. Returns NaN when
// either point is invalid, so a bad point can never look close.
double haversine_m(const LatLon& a, const LatLon& b);

// Flat-Earth approximation around the pair's mean latitude: a few multiplications, no
// trigonometry beyond one cosine. Within 0.1% of haversine_m below ~50 km away from the
// poles; meant for coarse filters, never for ranking. Handles the antimeridian.
double equirectangular_m(const LatLon& a, const LatLon& b);

// Longitude wrapped into [-180, 180).
double normalize_lon(double lon);

// The point `north_m` north and `east_m` east of `p` on the local tangent plane
// (latitude clamped to the poles, longitude wrapped). Good for offsets up to tens of km.
LatLon offset_m(const LatLon& p, double north_m, double east_m);

// A point uniformly distributed over the disc of `radius_m` around `centre` (tangent
// plane), for synthetic fleets and tests.
LatLon random_point_within(Random& random, const LatLon& centre, double radius_m);

}  // namespace tidewire::dispatch

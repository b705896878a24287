#include "tidewire/dispatch/travel_time.hpp"

#include <cmath>
#include <limits>
#include <string>

namespace tidewire::dispatch {

namespace {

bool speed_ok(double speed) {
  return std::isfinite(speed) && speed > 0.0;
}
bool detour_ok(double detour) {
  return std::isfinite(detour) && detour >= 1.0;
}

}  // namespace

Expected<StraightLineTravel> StraightLineTravel::create(double speed_m_per_min, double detour_factor) {
  if (!speed_ok(speed_m_per_min)) {
    return make_error(ErrorCode::kInvalidArgument, "travel speed " + std::to_string(speed_m_per_min) +
                                                       " m/min must be a number above 0 (default 320)");
  }
  if (!detour_ok(detour_factor)) {
    return make_error(ErrorCode::kInvalidArgument, "detour factor " + std::to_string(detour_factor) +
                                                       " must be a number of at least 1.0 (1.0 = straight line)");
  }
  return StraightLineTravel(speed_m_per_min, detour_factor);
}

StraightLineTravel::StraightLineTravel(double speed_m_per_min, double detour_factor)
    : speed_m_per_min_(speed_ok(speed_m_per_min) ? speed_m_per_min : kDefaultSpeedMPerMin),
      detour_factor_(detour_ok(detour_factor) ? detour_factor : 1.0) {}

double StraightLineTravel::seconds(const LatLon& from, const LatLon& to) const {
  return seconds_for_metres(haversine_m(from, to));
}

double StraightLineTravel::seconds_for_metres(double metres) const {
  if (!(metres >= 0.0)) return std::numeric_limits<double>::infinity();  // also catches NaN
  return metres * detour_factor_ / speed_m_per_min_ * 60.0;
}

}  // namespace tidewire::dispatch

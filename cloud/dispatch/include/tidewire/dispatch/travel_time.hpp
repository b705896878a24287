#pragma once
// How long a rider needs from one point to another. Solvers and ETAs only see the
// TravelTime interface, so a road-network ETA (routing engine, learned model) can replace
// the straight-line estimate without touching them.
#include <memory>

#include "tidewire/common/expected.hpp"
#include "tidewire/dispatch/geo.hpp"

namespace tidewire::dispatch {

class TravelTime {
 public:
  virtual ~TravelTime() = default;
  // Seconds to travel from `from` to `to`; +infinity when the trip is impossible
  // (an invalid point), so a bad point is never the cheapest choice.
  // Implementations must be safe to call from several threads at once.
  virtual double seconds(const LatLon& from, const LatLon& to) const = 0;
};
using TravelTimePtr = std::shared_ptr<const TravelTime>;

// Great-circle distance times a detour factor (streets are not straight: ~1.3 is typical
// for a city grid), covered at a constant speed.
class StraightLineTravel final : public TravelTime {
 public:
  // 320 m/min (19.2 km/h): an e-bike rider's average in city traffic, and the replay's
  // default --speed-mpm.
  static constexpr double kDefaultSpeedMPerMin = 320.0;

  // Checks operator input: speed finite and > 0, detour factor finite and >= 1.
  static Expected<StraightLineTravel> create(double speed_m_per_min, double detour_factor = 1.0);

  // For values the code itself chose. Out-of-range values are replaced by the defaults
  // (speed 320 m/min, detour 1.0) instead of producing NaN travel times; use create() for
  // anything that came from a flag or a file.
  explicit StraightLineTravel(double speed_m_per_min = kDefaultSpeedMPerMin, double detour_factor = 1.0);

  // TravelTime
  double seconds(const LatLon& from, const LatLon& to) const override;

  // Seconds to cover a distance already known (e.g. the distance the RiderIndex returned
  // with a candidate), without recomputing it. Negative or NaN distances give +infinity.
  double seconds_for_metres(double metres) const;

  double speed_m_per_min() const { return speed_m_per_min_; }
  double detour_factor() const { return detour_factor_; }

 private:
  double speed_m_per_min_;
  double detour_factor_;
};

}  // namespace tidewire::dispatch

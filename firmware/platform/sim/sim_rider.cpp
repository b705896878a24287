#include <algorithm>
#include <cmath>

#include "sim/sim_devices.hpp"
#include "tidewire/firmware/geo.hpp"

namespace tidewire::firmware::sim {
namespace {
// An e-bike courier in city traffic: 15-25 km/h while moving.
constexpr double kMinCruiseMps = 4.0;
constexpr double kMaxCruiseMps = 7.0;
// Terminal battery, percent per hour.
constexpr double kDrainMovingPerH = 12.0;
constexpr double kDrainStoppedPerH = 4.0;
constexpr double kChargePerH = 40.0;
constexpr double kLowBatteryPct = 15.0;
constexpr double kChargedPct = 90.0;
// Steps one poll may walk through (a simulator jumping its clock by hours).
constexpr int kMaxStepsPerPoll = 256;

std::string order_id(Random& random) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t v = random.uniform(0, UINT64_MAX);
  std::string out = "o-";
  for (int i = 0; i < 12; ++i, v >>= 4) out.push_back(kHex[v & 0xf]);
  return out;
}

bool contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}
}  // namespace

SimRider::SimRider(const SimHalOptions& options, Clock& clock, Random& random) : SimDevice(options, clock, random) {
  double r = options_.area_radius_m * std::sqrt(random_.unit());
  geo::destination(options_.center_lat, options_.center_lon, uniform(0, 360), r, lat_, lon_);
  if (options_.rider_start_lat && options_.rider_start_lon) {
    lat_ = *options_.rider_start_lat;
    lon_ = *options_.rider_start_lon;
  }
  battery_pct_ = uniform(60, 100);
  on_shift_ = in_shift_window();
  pick_destination();
}

PositionFix SimRider::fix() const {
  return {true, lat_, lon_, speed_mps_, heading_deg_, 5.0};
}

std::optional<uint32_t> SimRider::battery_pct() const {
  return static_cast<uint32_t>(std::lround(std::clamp(battery_pct_, 0.0, 100.0)));
}

bool SimRider::in_shift_window() const {
  if (options_.shift_on_wall_ms == 0 && options_.shift_off_wall_ms == 0) return true;
  int64_t wall = clock_.wall_ms();
  return wall >= options_.shift_on_wall_ms && wall < options_.shift_off_wall_ms;
}

void SimRider::pick_destination() {
  double r = options_.area_radius_m * std::sqrt(random_.unit());
  geo::destination(options_.center_lat, options_.center_lon, uniform(0, 360), r, dest_lat_, dest_lon_);
  cruise_mps_ = uniform(kMinCruiseMps, kMaxCruiseMps);
  heading_deg_ = geo::bearing_deg(lat_, lon_, dest_lat_, dest_lon_);
}

bool SimRider::drive(double& seconds, double lat, double lon) {
  if (options_.rider_speed_mps > 0) {
    speed_mps_ = options_.rider_speed_mps;
  } else {
    // Traffic: speed wanders around the leg's cruise speed.
    speed_mps_ = std::clamp(cruise_mps_ * (1.0 + 0.1 * normal()), 0.5 * cruise_mps_, 1.3 * cruise_mps_);
  }
  double left = geo::distance_m(lat_, lon_, lat, lon);
  double step = speed_mps_ * seconds;
  if (step >= left) {
    lat_ = lat;
    lon_ = lon;
    seconds -= left / speed_mps_;
    return true;
  }
  heading_deg_ = geo::bearing_deg(lat_, lon_, lat, lon);
  geo::destination(lat_, lon_, heading_deg_, step, lat_, lon_);
  seconds = 0;
  return false;
}

bool SimRider::serve(double& seconds, int64_t wall_ms, RiderTaps& taps) {
  Stop stop = stops_.front();
  speed_mps_ = 0;
  // The service time runs while waiting for the food: picked up at
  // max(arrival + service, ready).
  double until_ready_s =
      stop.pickup && stop.ready_wall_ms > wall_ms ? static_cast<double>(stop.ready_wall_ms - wall_ms) / 1000.0 : 0.0;
  double need = std::max(service_left_s_, until_ready_s);
  if (need > seconds) {
    service_left_s_ = std::max(0.0, service_left_s_ - seconds);
    seconds = 0;
    return false;
  }
  seconds -= need;
  stops_.pop_front();
  service_left_s_ = -1;
  if (stop.pickup)
    taps.picked_up(stop.order_id);
  else
    taps.delivered(stop.order_id);
  if (stops_.empty() && options_.rider_roams) pick_destination();
  return true;
}

void SimRider::roam(double& seconds) {
  if (dwell_s_ > 0) {
    double wait = std::min(dwell_s_, seconds);
    dwell_s_ -= wait;
    seconds -= wait;
    speed_mps_ = 0;
    if (dwell_s_ <= 0) pick_destination();
    return;
  }
  if (drive(seconds, dest_lat_, dest_lon_)) dwell_s_ = uniform(20, 90);
}

void SimRider::ride(double seconds, RiderTaps& taps) {
  int64_t wall_end = clock_.wall_ms();
  for (int steps = 0; seconds > 1e-9 && steps < kMaxStepsPerPoll; ++steps) {
    if (!stops_.empty()) {
      // A trip is finished even after the shift ends: the customer is waiting.
      const Stop& stop = stops_.front();
      if (service_left_s_ < 0) {
        if (drive(seconds, stop.lat, stop.lon))
          service_left_s_ = stop.pickup ? options_.pickup_service_s : options_.dropoff_service_s;
        continue;
      }
      int64_t wall_now = wall_end - static_cast<int64_t>(std::llround(seconds * 1000.0));
      serve(seconds, wall_now, taps);
      continue;
    }
    if (!on_shift_ || !options_.rider_roams) {
      speed_mps_ = 0;
      return;
    }
    roam(seconds);
  }
}

void SimRider::update_shift(RiderTaps& taps) {
  if (options_.rider_roams) {
    if (!charging_ && battery_pct_ < kLowBatteryPct) charging_ = true;
    if (charging_ && battery_pct_ >= kChargedPct) charging_ = false;
  }
  bool window = in_shift_window();
  bool on = window && !charging_;
  if (on == on_shift_) return;
  const char* reason = "shift_window";
  if (window) reason = charging_ ? "battery_low" : "charged";
  on_shift_ = on;
  if (!on && stops_.empty()) speed_mps_ = 0;
  taps.shift_changed(on, reason);
}

void SimRider::made_up_orders(RiderTaps& taps) {
  for (int n = due_events(); n > 0 && on_shift_ && stops_.empty(); --n) {
    bool deliver =
        !made_up_.empty() && (made_up_.size() >= options_.rider_max_orders || !taps.taking_orders() || chance(0.5));
    // Made up only while no dispatched order is carried.
    bool dispatched = taps.carried().size() > made_up_.size();
    if (deliver) {
      std::string id = made_up_.front();
      made_up_.pop_front();
      dwell_s_ = uniform(30, 90);
      taps.delivered(id);
    } else if (taps.taking_orders() && !dispatched && made_up_.size() < options_.rider_max_orders) {
      made_up_.push_back(order_id(random_));
      dwell_s_ = uniform(30, 120);
      taps.picked_up_unassigned(made_up_.back());
    }
  }
}

void SimRider::poll(RiderTaps& taps) {
  double dt = advance();
  double hours = dt / 3600.0;
  bool moving = speed_mps_ > 0 || (on_shift_ && dwell_s_ <= 0 && options_.rider_roams) || !stops_.empty();
  ride(dt, taps);
  if (options_.rider_roams) {
    if (on_shift_ || !stops_.empty()) {
      battery_pct_ = std::max(0.0, battery_pct_ - hours * (moving ? kDrainMovingPerH : kDrainStoppedPerH));
    } else {
      battery_pct_ = std::min(100.0, battery_pct_ + hours * kChargePerH);
    }
  }
  update_shift(taps);
  if (options_.rider_roams) made_up_orders(taps);
}

OfferDecision SimRider::present(const v1::Offer& offer, const std::vector<std::string>& carried) {
  size_t fresh = 0;
  for (const auto& leg : offer.legs()) fresh += contains(carried, leg.order_id()) ? 0 : 1;
  if (carried.size() + fresh > options_.rider_max_orders)
    return OfferDecision::decline("carrying " + std::to_string(carried.size()) + " orders; at most " +
                                  std::to_string(options_.rider_max_orders));
  if (!chance(options_.rider_accept_probability)) return OfferDecision::decline("rider declined");
  return OfferDecision::accept("accepted " + std::to_string(fresh) + " orders");
}

void SimRider::accepted(const v1::Offer& offer, const std::vector<const v1::OfferLeg*>& fresh) {
  (void)offer;
  for (const auto* leg : fresh)
    stops_.push_back({leg->order_id(), true, leg->pickup_lat(), leg->pickup_lon(), leg->ready_ms()});
  for (const auto* leg : fresh) stops_.push_back({leg->order_id(), false, leg->dropoff_lat(), leg->dropoff_lon(), 0});
}

void SimRider::cancelled(const std::string& order_id) {
  std::erase(made_up_, order_id);
  if (!stops_.empty() && stops_.front().order_id == order_id) service_left_s_ = -1;  // leave the stop now
  std::erase_if(stops_, [&](const Stop& s) { return s.order_id == order_id; });
  if (stops_.empty() && options_.rider_roams) pick_destination();
}

}  // namespace tidewire::firmware::sim

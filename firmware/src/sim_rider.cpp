#include <algorithm>
#include <cmath>

#include "sim_devices.hpp"
#include "tidewire/firmware/geo.hpp"
#include "tidewire/firmware/offer.hpp"

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
constexpr double kSignificantMoveM = 100.0;
// Steps one poll may walk through (a simulator jumping its clock by hours).
constexpr int kMaxStepsPerPoll = 256;

std::string order_id(Random& random) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t v = random.uniform(0, UINT64_MAX);
  std::string out = "o-";
  for (int i = 0; i < 12; ++i, v >>= 4) out.push_back(kHex[v & 0xf]);
  return out;
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

bool SimRider::serve(double& seconds, int64_t wall_ms, std::vector<HalEvent>& events) {
  const Stop& stop = stops_.front();
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
  events.push_back(offer::report(stop.pickup ? offer::kPickedUp : offer::kDelivered, stop.order_id, lat_, lon_));
  if (!stop.pickup) assigned_.erase(std::remove(assigned_.begin(), assigned_.end(), stop.order_id), assigned_.end());
  stops_.pop_front();
  service_left_s_ = -1;
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

void SimRider::ride(double seconds, std::vector<HalEvent>& events) {
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
      serve(seconds, wall_now, events);
      continue;
    }
    if (!on_shift_ || !options_.rider_roams) {
      speed_mps_ = 0;
      return;
    }
    roam(seconds);
  }
}

void SimRider::shift_change(bool on, const char* reason, std::vector<HalEvent>& events) {
  on_shift_ = on;
  if (!on && stops_.empty()) speed_mps_ = 0;
  events.push_back({on ? "shift.started" : "shift.ended",
                    v1::PRIORITY_NORMAL,
                    {{"reason", reason}, {"battery_pct", std::to_string(static_cast<int>(battery_pct_))}}});
}

void SimRider::update_shift(std::vector<HalEvent>& events) {
  if (options_.rider_roams) {
    if (!charging_ && battery_pct_ < kLowBatteryPct) charging_ = true;
    if (charging_ && battery_pct_ >= kChargedPct) charging_ = false;
  }
  bool window = in_shift_window();
  bool on = window && !charging_;
  if (on == on_shift_) return;
  const char* reason = "shift_window";
  if (window) reason = charging_ ? "battery_low" : "charged";
  shift_change(on, reason, events);
}

void SimRider::poll(std::vector<HalEvent>& events) {
  double dt = advance();
  double hours = dt / 3600.0;
  bool moving = speed_mps_ > 0 || (on_shift_ && dwell_s_ <= 0 && options_.rider_roams) || !stops_.empty();
  ride(dt, events);
  if (options_.rider_roams) {
    if (on_shift_ || !stops_.empty()) {
      battery_pct_ = std::max(0.0, battery_pct_ - hours * (moving ? kDrainMovingPerH : kDrainStoppedPerH));
    } else {
      battery_pct_ = std::min(100.0, battery_pct_ + hours * kChargePerH);
    }
  }
  update_shift(events);
  if (!options_.rider_roams) return;
  for (int n = due_events(); n > 0 && on_shift_ && stops_.empty(); --n) {
    bool deliver = !made_up_.empty() && (made_up_.size() >= options_.rider_max_orders || !wants_orders_ || chance(0.5));
    if (deliver) {
      std::string id = made_up_.front();
      made_up_.pop_front();
      dwell_s_ = uniform(30, 90);
      events.push_back(offer::report(offer::kDelivered, id, lat_, lon_));
    } else if (wants_orders_ && assigned_.empty() && made_up_.size() < options_.rider_max_orders) {
      made_up_.push_back(order_id(random_));
      dwell_s_ = uniform(30, 120);
      events.push_back(offer::report(offer::kPickedUp, made_up_.back(), lat_, lon_));
    }
  }
}

v1::Status SimRider::status() const {
  v1::Status s;
  auto* r = s.mutable_rider();
  r->set_lat(lat_);
  r->set_lon(lon_);
  r->set_speed_mps(static_cast<float>(speed_mps_));
  r->set_heading_deg(static_cast<float>(heading_deg_));
  r->set_accuracy_m(5.0f);
  r->set_battery_pct(static_cast<uint32_t>(std::lround(std::clamp(battery_pct_, 0.0, 100.0))));
  r->set_available(available());
  for (const auto& id : assigned_) r->add_carried_order_ids(id);
  for (const auto& id : made_up_) r->add_carried_order_ids(id);
  return s;
}

bool SimRider::significant_change(const v1::Status& last_sent, const v1::Status& now) const {
  const auto& a = last_sent.rider();
  const auto& b = now.rider();
  if (a.available() != b.available() || a.carried_order_ids_size() != b.carried_order_ids_size()) return true;
  for (int i = 0; i < a.carried_order_ids_size(); ++i)
    if (a.carried_order_ids(i) != b.carried_order_ids(i)) return true;
  if (a.battery_pct() / 5 != b.battery_pct() / 5) return true;
  return geo::distance_m(a.lat(), a.lon(), b.lat(), b.lon()) >= kSignificantMoveM;
}

CommandReply SimRider::offer(const v1::Command& command) {
  auto decoded = offer::decode(command);
  if (!decoded) return offer::malformed(decoded.error());
  const v1::Offer& o = *decoded;
  if (!on_shift_) return offer::answer(o, false, "off shift");
  if (!wants_orders_) return offer::answer(o, false, "not taking orders");
  size_t fresh = 0;
  for (const auto& leg : o.legs())
    if (std::find(assigned_.begin(), assigned_.end(), leg.order_id()) == assigned_.end()) ++fresh;
  if (carried() + fresh > options_.rider_max_orders)
    return offer::answer(
        o, false,
        "carrying " + std::to_string(carried()) + " orders; at most " + std::to_string(options_.rider_max_orders));
  if (!chance(options_.rider_accept_probability)) return offer::answer(o, false, "rider declined");
  std::vector<Stop> dropoffs;
  for (const auto& leg : o.legs()) {
    // An order offered again (a re-sent offer under a new id) is not taken twice.
    if (std::find(assigned_.begin(), assigned_.end(), leg.order_id()) != assigned_.end()) continue;
    assigned_.push_back(leg.order_id());
    stops_.push_back({leg.order_id(), true, leg.pickup_lat(), leg.pickup_lon(), leg.ready_ms()});
    dropoffs.push_back({leg.order_id(), false, leg.dropoff_lat(), leg.dropoff_lon(), 0});
  }
  for (auto& d : dropoffs) stops_.push_back(std::move(d));
  return offer::answer(o, true, "accepted " + std::to_string(fresh) + " orders");
}

CommandReply SimRider::cancel(const v1::Command& command) {
  auto id = arg(command, "order_id");
  if (!id || id->empty()) return CommandReply::failed("dispatch.cancel needs order_id");
  bool had = std::find(assigned_.begin(), assigned_.end(), *id) != assigned_.end();
  assigned_.erase(std::remove(assigned_.begin(), assigned_.end(), *id), assigned_.end());
  if (!stops_.empty() && stops_.front().order_id == *id) service_left_s_ = -1;  // leave the stop now
  stops_.erase(std::remove_if(stops_.begin(), stops_.end(), [&](const Stop& s) { return s.order_id == *id; }),
               stops_.end());
  if (stops_.empty() && options_.rider_roams) pick_destination();
  CommandReply reply = CommandReply::ok(had ? "order dropped" : "order not carried; nothing to do");
  reply.output["dropped"] = had ? "true" : "false";
  return reply;
}

CommandReply SimRider::execute(const v1::Command& command, std::vector<HalEvent>& events) {
  (void)events;
  if (command.name() == offer::kOfferCommand) return offer(command);
  if (command.name() == offer::kCancelCommand) return cancel(command);
  if (command.name() == "set_available") {
    auto on = bool_arg(command, "available");
    if (!on) return CommandReply::failed("set_available needs available=true|false");
    wants_orders_ = *on;
    CommandReply reply = CommandReply::ok(*on ? "taking orders" : "not taking orders");
    reply.output["available"] = available() ? "true" : "false";
    return reply;
  }
  return CommandReply::unsupported(command.name());
}

}  // namespace tidewire::firmware::sim

#include <algorithm>
#include <cmath>

#include "sim_devices.hpp"
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
constexpr double kSignificantMoveM = 100.0;

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
  battery_pct_ = uniform(60, 100);
  pick_destination();
}

void SimRider::pick_destination() {
  double r = options_.area_radius_m * std::sqrt(random_.unit());
  geo::destination(options_.center_lat, options_.center_lon, uniform(0, 360), r, dest_lat_, dest_lon_);
  cruise_mps_ = uniform(kMinCruiseMps, kMaxCruiseMps);
  heading_deg_ = geo::bearing_deg(lat_, lon_, dest_lat_, dest_lon_);
}

void SimRider::ride(double seconds) {
  // A clock jump (simulator fast-forward) is walked through leg by leg, bounded.
  for (int legs = 0; seconds > 1e-9 && legs < 64; ++legs) {
    if (!on_shift_) {
      speed_mps_ = 0;
      return;
    }
    if (dwell_s_ > 0) {
      double wait = std::min(dwell_s_, seconds);
      dwell_s_ -= wait;
      seconds -= wait;
      speed_mps_ = 0;
      if (dwell_s_ <= 0) pick_destination();
      continue;
    }
    // Traffic: speed wanders around the leg's cruise speed.
    speed_mps_ = std::clamp(cruise_mps_ * (1.0 + 0.1 * normal()), 0.5 * cruise_mps_, 1.3 * cruise_mps_);
    double left = geo::distance_m(lat_, lon_, dest_lat_, dest_lon_);
    double step = speed_mps_ * seconds;
    if (step >= left) {
      lat_ = dest_lat_;
      lon_ = dest_lon_;
      seconds -= left / speed_mps_;
      dwell_s_ = uniform(20, 90);
      continue;
    }
    heading_deg_ = geo::bearing_deg(lat_, lon_, dest_lat_, dest_lon_);
    geo::destination(lat_, lon_, heading_deg_, step, lat_, lon_);
    seconds = 0;
  }
}

void SimRider::shift_change(bool on, const char* reason, std::vector<HalEvent>& events) {
  on_shift_ = on;
  if (!on) speed_mps_ = 0;
  events.push_back({on ? "shift.started" : "shift.ended",
                    v1::PRIORITY_NORMAL,
                    {{"reason", reason}, {"battery_pct", std::to_string(static_cast<int>(battery_pct_))}}});
}

void SimRider::poll(std::vector<HalEvent>& events) {
  double dt = advance();
  double hours = dt / 3600.0;
  bool moving = on_shift_ && dwell_s_ <= 0;
  ride(dt);
  if (on_shift_) {
    battery_pct_ = std::max(0.0, battery_pct_ - hours * (moving ? kDrainMovingPerH : kDrainStoppedPerH));
    if (battery_pct_ < kLowBatteryPct) shift_change(false, "battery_low", events);
  } else {
    battery_pct_ = std::min(100.0, battery_pct_ + hours * kChargePerH);
    if (battery_pct_ >= kChargedPct) shift_change(true, "charged", events);
  }
  for (int n = due_events(); n > 0 && on_shift_; --n) {
    bool deliver = !orders_.empty() && (orders_.size() >= kCapacity || !wants_orders_ || chance(0.5));
    if (deliver) {
      std::string id = orders_.front();
      orders_.pop_front();
      dwell_s_ = uniform(30, 90);
      events.push_back({"order.delivered", v1::PRIORITY_HIGH, {{"order_id", id}}});
    } else if (available()) {
      orders_.push_back(order_id(random_));
      dwell_s_ = uniform(30, 120);
      events.push_back({"order.picked_up", v1::PRIORITY_HIGH, {{"order_id", orders_.back()}}});
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
  for (const auto& id : orders_) r->add_carried_order_ids(id);
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

CommandReply SimRider::execute(const v1::Command& command, std::vector<HalEvent>& events) {
  (void)events;
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

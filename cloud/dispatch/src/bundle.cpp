// Bundling: the route estimate of a rider who takes one more order, and the per-round
// index of riders who may (bundle.hpp).
#include "bundle.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

namespace tidewire::dispatch {
namespace {

struct Leg {
  LatLon pickup;
  LatLon dropoff;
  int64_t ready_ms = 0;
  int64_t promised_ms = 0;
  bool picked_up = false;
};

// The best stop order found, and where the new order's stops fell in it.
struct Route {
  int64_t end_ms = 0;
  int64_t new_pickup_ms = 0;
  int64_t new_dropoff_ms = 0;
  int64_t food_wait_ms = 0;  // summed over the pickups made on this route
  double score = std::numeric_limits<double>::infinity();
};

// Tries every stop order that keeps pickups before drop-offs (at most 90 for 3 orders).
class RouteSearch {
 public:
  RouteSearch(std::vector<Leg> legs, std::optional<size_t> new_leg, bool keep_promises, const TravelTime& travel,
              const PolicyOptions& options)
      : legs_(std::move(legs)), new_leg_(new_leg), keep_promises_(keep_promises), travel_(travel), options_(options) {}

  std::optional<Route> best(const LatLon& start, int64_t now_ms) {
    visit(start, now_ms, 0, 0, Route{});
    return best_;
  }

 private:
  void visit(const LatLon& at, int64_t t, unsigned picked, unsigned done, Route r) {
    const unsigned all = (1u << legs_.size()) - 1;
    if (done == all) {
      r.end_ms = t;
      // Time on the road, plus food waiting for the rider at ready_weight (as in plan_order).
      r.score = static_cast<double>(t) + options_.ready_weight * static_cast<double>(r.food_wait_ms);
      if (!best_ || r.score < best_->score) best_ = r;
      return;
    }
    for (size_t i = 0; i < legs_.size(); ++i) {
      const unsigned bit = 1u << i;
      if (done & bit) continue;
      const Leg& leg = legs_[i];
      const bool pickup = !leg.picked_up && !(picked & bit);
      const LatLon& to = pickup ? leg.pickup : leg.dropoff;
      double s = travel_.seconds(at, to);
      if (!std::isfinite(s)) continue;
      int64_t arrive = t + static_cast<int64_t>(std::llround(s * 1000.0));
      Route next = r;
      if (pickup) {
        int64_t start = std::max(arrive, leg.ready_ms);  // the rider waits for the food if early
        next.food_wait_ms += std::max<int64_t>(0, arrive - leg.ready_ms);
        if (new_leg_ == i) next.new_pickup_ms = start;
        visit(to, start + options_.service_ms, picked | bit, done, next);
      } else {
        int64_t dropped = arrive + options_.service_ms;
        if (keep_promises_ && dropped > leg.promised_ms) continue;  // later stops only get later
        if (new_leg_ == i) next.new_dropoff_ms = dropped;
        visit(to, dropped, picked, done | bit, next);
      }
    }
  }

  std::vector<Leg> legs_;
  std::optional<size_t> new_leg_;
  bool keep_promises_;
  const TravelTime& travel_;
  const PolicyOptions& options_;
  std::optional<Route> best_;
};

Leg leg_of(const Order& o) {
  return Leg{{o.pickup_lat, o.pickup_lon},
             {o.dropoff_lat, o.dropoff_lon},
             o.ready_ms,
             o.promised_ms,
             o.state == OrderState::kPickedUp};
}

}  // namespace

std::optional<Plan> plan_bundle(const std::vector<const Order*>& held, const Order& order, const LatLon& rider,
                                int64_t now_ms, const TravelTime& travel, const PolicyOptions& options) {
  if (held.empty() || held.size() >= 8) return std::nullopt;  // not a bundle; or beyond any sane load
  std::vector<Leg> legs;
  for (const Order* o : held) legs.push_back(leg_of(*o));
  // The route the rider would ride anyway: the baseline the extra time is measured from.
  auto without = RouteSearch(legs, std::nullopt, false, travel, options).best(rider, now_ms);
  if (!without) return std::nullopt;
  legs.push_back(leg_of(order));
  legs.back().picked_up = false;
  auto with = RouteSearch(std::move(legs), held.size(), true, travel, options).best(rider, now_ms);
  if (!with) return std::nullopt;  // no stop order keeps every promise

  Plan p;
  p.eta_pickup_ms = with->new_pickup_ms;
  p.eta_dropoff_ms = with->new_dropoff_ms;
  // Both scores are route end + ready_weight * food waiting, so the difference is the
  // extra time plus the extra food waiting the bundle causes, the held orders' included.
  p.cost_s = std::max(0.0, (with->score - without->score) / 1000.0);
  return p;
}

BundleRiders::BundleRiders(double radius_m)
    : radius_m_(radius_m),
      points_(RiderIndexOptions{std::clamp(radius_m, 50.0, 100'000.0), std::max(radius_m, 1.0), 1u << 30}) {}

void BundleRiders::add(BundleRider rider) {
  const std::string slot = std::to_string(riders_.size()) + "/";
  size_t n = 0;
  auto index = [&](const LatLon& p) { (void)points_.upsert(slot + std::to_string(n++), p, true, 0); };
  index(rider.position);
  // "Heading that way": a pickup the rider still has to make counts like its position.
  for (const Order* o : rider.held)
    if (o->state == OrderState::kAssigned) index({o->pickup_lat, o->pickup_lon});
  riders_.push_back(std::move(rider));
}

std::vector<const BundleRider*> BundleRiders::near(const LatLon& pickup, size_t max_count) const {
  std::vector<const BundleRider*> out;
  if (max_count == 0 || riders_.empty()) return out;
  // A rider has at most 4 points, so this many nearest points hold max_count riders.
  auto found = points_.candidates(pickup, radius_m_, 4 * max_count);
  std::set<size_t> seen;
  for (const auto& c : found) {
    size_t slot = 0;
    auto [end, ec] = std::from_chars(c.id.data(), c.id.data() + c.id.size(), slot);
    if (ec != std::errc() || slot >= riders_.size() || !seen.insert(slot).second) continue;
    out.push_back(&riders_[slot]);
    if (out.size() >= max_count) break;
  }
  return out;
}

}  // namespace tidewire::dispatch

#pragma once
// Bundling (batch policy): offering a waiting order to a rider who already carries one,
// when the rider is heading that way and both promised times still hold.
//
// Who is asked: riders holding at least one order and fewer than bundle_max_load, with a
// fresh position and no pending offer, whose position or one of whose pickups still to
// make lies within bundle_radius_m of the new order's pickup.
//
// The route estimate is deliberately plain: from the rider's current position, visit the
// remaining stops (the pickup of each held order not yet picked up, every drop-off, and the
// new order's pickup and drop-off) in the best order that keeps every pickup before its
// drop-off. Each stop costs the travel time to it plus service_ms; at a pickup the rider
// also waits for the food if early. With at most 3 orders that is at most 90 orders of
// stops, so all are tried. A stop order is feasible when every drop-off (service included,
// as in plan_order) is at or before its promised time.
//
//   score(route) = end of the route + ready_weight * sum over its pickups of
//                  max(0, arrival - ready time)            (food waiting for the rider)
//   cost (s)     = score(best route with the new order) - score(best route without)
//                  (+ promised_weight * lateness, which is 0: a late bundle is never offered)
//
// That is the extra time the bundle adds to the rider's work plus the extra food waiting
// it causes, the held orders' included. A free rider's cost (plan_order) is the travel to
// the pickup, so a bundle wins when free riders are far or missing, which is when it helps.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tidewire/dispatch/dispatch_policy.hpp"
#include "tidewire/dispatch/order.hpp"
#include "tidewire/dispatch/rider_index.hpp"
#include "tidewire/dispatch/travel_time.hpp"

namespace tidewire::dispatch {

// The new order's plan inside a bundle (cost_s as in the file comment), or nullopt when no
// stop order keeps every promise or a point is unreachable. `held` are the rider's ASSIGNED
// (pickup still ahead) and PICKED_UP orders.
std::optional<Plan> plan_bundle(const std::vector<const Order*>& held, const Order& order, const LatLon& rider,
                                int64_t now_ms, const TravelTime& travel, const PolicyOptions& options);

// A rider who may take one more order in this round.
struct BundleRider {
  std::string id;
  LatLon position;
  std::vector<const Order*> held;
};

// The bundle riders of one round, found by pickup: each rider is indexed at its position
// and at every pickup it still has to make. Built fresh for each round, so the Order
// pointers must outlive only that round's planning (before any offer changes the book).
class BundleRiders {
 public:
  explicit BundleRiders(double radius_m);
  void add(BundleRider rider);
  // Riders with an indexed point within the radius of `pickup`, nearest point first, each
  // rider once, at most `max_count`.
  std::vector<const BundleRider*> near(const LatLon& pickup, size_t max_count) const;
  size_t size() const { return riders_.size(); }

 private:
  double radius_m_;
  RiderIndex points_;  // ids "<rider slot>/<point number>"
  std::vector<BundleRider> riders_;
};

}  // namespace tidewire::dispatch

#include <algorithm>
#include <cmath>

#include "tidewire/dispatch/dispatch_policy.hpp"

namespace tidewire::dispatch {

const char* policy_name(PolicyKind kind) {
  return kind == PolicyKind::kBatch ? "batch" : "instant";
}

Expected<PolicyKind> parse_policy(const std::string& text) {
  if (text == "instant") return PolicyKind::kInstant;
  if (text == "batch") return PolicyKind::kBatch;
  return make_error(ErrorCode::kInvalidArgument,
                    "dispatch policy must be 'instant' or 'batch', got '" + text.substr(0, 32) + "'");
}

Status validate(const PolicyOptions& o) {
  auto bad = [](const std::string& what) { return make_error(ErrorCode::kInvalidArgument, what); };
  if (!(o.candidate_radius_m > 0 && o.candidate_radius_m <= 50'000)) return bad("candidate radius must be in (0, 50000] m");
  if (o.candidates_per_order < 1 || o.candidates_per_order > 100) return bad("candidates per order must be 1-100");
  if (!(o.ready_weight >= 0 && o.ready_weight <= 100) || !(o.promised_weight >= 0 && o.promised_weight <= 100)) {
    return bad("lateness weights must be 0-100");
  }
  if (o.service_ms < 0 || o.service_ms > 3'600'000) return bad("service time must be 0-3600 s");
  if (o.batch_interval_ms < 100 || o.batch_interval_ms > 3'600'000) return bad("batch interval must be 0.1-3600 s");
  if (o.postpone_ms < 0 || o.postpone_ms > 24 * 3'600'000LL) return bad("postpone horizon must be 0-86400 s");
  if (o.max_orders_per_round < 1 || o.max_orders_per_round > 200'000) return bad("orders per round must be 1-200000");
  // 3 keeps the route search of a bundle small (6 stops); an offer holds at most 4 orders.
  if (o.bundle_max_load < 1 || o.bundle_max_load > 3) return bad("bundle max load must be 1-3 (1 = no bundling)");
  if (!(o.bundle_radius_m > 0 && o.bundle_radius_m <= 5'000)) return bad("bundle radius must be in (0, 5000] m");
  return {};
}

Plan plan_order(const Order& order, const LatLon& rider, int64_t now_ms, const TravelTime& travel,
                const PolicyOptions& options) {
  Plan p;
  double to_pickup_s = travel.seconds(rider, {order.pickup_lat, order.pickup_lon});
  double to_dropoff_s = travel.seconds({order.pickup_lat, order.pickup_lon}, {order.dropoff_lat, order.dropoff_lon});
  if (!std::isfinite(to_pickup_s) || !std::isfinite(to_dropoff_s)) {
    p.cost_s = INFINITY;
    return p;
  }
  int64_t arrival = now_ms + static_cast<int64_t>(std::llround(to_pickup_s * 1000.0));
  // The rider waits for the food if early; the food waits for the rider if late.
  int64_t leave = std::max(arrival, order.ready_ms) + options.service_ms;
  p.eta_pickup_ms = std::max(arrival, order.ready_ms);
  p.eta_dropoff_ms = leave + static_cast<int64_t>(std::llround(to_dropoff_s * 1000.0)) + options.service_ms;
  double late_ready_s = static_cast<double>(std::max<int64_t>(0, arrival - order.ready_ms)) / 1000.0;
  double late_promised_s = static_cast<double>(std::max<int64_t>(0, p.eta_dropoff_ms - order.promised_ms)) / 1000.0;
  p.cost_s = to_pickup_s + options.ready_weight * late_ready_s + options.promised_weight * late_promised_s;
  return p;
}

Cost to_cost(double cost_s) {
  if (!(cost_s >= 0)) return cost_s < 0 ? 0 : kMaxCost;  // NaN counts as impossible
  double ds = std::ceil(cost_s * 10.0);
  if (ds >= static_cast<double>(kMaxCost)) return kMaxCost;
  return static_cast<Cost>(ds);
}

}  // namespace tidewire::dispatch

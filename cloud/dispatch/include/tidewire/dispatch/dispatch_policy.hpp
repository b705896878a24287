#pragma once
// How the dispatcher chooses riders: the cost of sending a rider to an order, and the two
// policies built on it (docs/dispatch.md, "Policies").
//
//   cost = travel seconds rider -> pickup
//        + ready_weight    * max(0, arrival at pickup - ready time)
//        + promised_weight * max(0, estimated drop-off - promised time)
//
// instant: each order, when it arrives or comes back to waiting, goes to its cheapest
//          candidate at once. batch: every interval, waiting orders x their candidates
//          become one AssignmentProblem (costs in deciseconds) solved exactly; riders who
//          already carry an order near the pickup are extra candidates (bundling, see
//          src/bundle.hpp) when both promised times still hold.
// Pure functions: no clock, no I/O; the Dispatcher passes `now` in.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/dispatch/assignment.hpp"
#include "tidewire/dispatch/order.hpp"
#include "tidewire/dispatch/rider_index.hpp"
#include "tidewire/dispatch/travel_time.hpp"

namespace tidewire::dispatch {

enum class PolicyKind { kInstant, kBatch };
const char* policy_name(PolicyKind kind);  // "instant" | "batch"
// From a flag: "instant" or "batch"; kInvalidArgument otherwise.
Expected<PolicyKind> parse_policy(const std::string& text);

struct PolicyOptions {
  PolicyKind kind = PolicyKind::kInstant;
  double candidate_radius_m = 5'000.0;  // riders further than this are never asked
  size_t candidates_per_order = 8;      // k nearest riders considered per order
  double ready_weight = 1.0;            // per second the rider arrives after the food is ready
  double promised_weight = 2.0;         // per second the drop-off is later than promised
  int64_t service_ms = 4 * 60'000;      // time at the pickup and at the drop-off each
  int64_t batch_interval_ms = 5'000;    // batch rounds; also the instant policy's retry sweep
  int64_t postpone_ms = 600'000;        // batch: orders ready further ahead than this wait
  size_t max_orders_per_round = 5'000;  // bounds one batch round (oldest first)
  // Batch bundling: a rider holding at least one order and fewer than this may be offered
  // one more; 1 turns bundling off.
  int32_t bundle_max_load = 2;
  // ... when the new order's pickup is this close to the rider or to a pickup the rider
  // still has to make ("heading that way").
  double bundle_radius_m = 500.0;
};
// Ranges: radius (0, 50 km], k 1..100, weights 0..100, service 0..1 h, interval 0.1 s..1 h,
// postpone 0..24 h, orders per round 1..200,000, bundle load 1..3, bundle radius (0, 5 km].
Status validate(const PolicyOptions& options);

// The plan for one (order, rider) pair.
struct Plan {
  double cost_s = 0;  // see the file comment
  int64_t eta_pickup_ms = 0;
  int64_t eta_dropoff_ms = 0;
};

// Plans `order` for a rider standing at `rider` at `now_ms`. cost_s is +infinity when
// travel is impossible (bad point).
Plan plan_order(const Order& order, const LatLon& rider, int64_t now_ms, const TravelTime& travel,
                const PolicyOptions& options);

// Cost in the assignment solver's unit (deciseconds), clamped into [0, kMaxCost].
Cost to_cost(double cost_s);

// The penalty of leaving an order for the next round: above any edge the candidate radius
// allows, so the solver assigns as many orders as it can, and then the cheapest way.
inline constexpr Cost kWaitPenalty = 1'000'000'000;

}  // namespace tidewire::dispatch

#pragma once
// Generated dispatch rounds for the solver tests and `tidewire-sim bench dispatch`.
//
// A square city with a few busy districts: most merchants (pickups) sit around the
// districts, riders are spread wider. Each order's candidates are its k nearest riders by
// straight-line distance (what a spatial index would offer). Edge cost, in deciseconds:
//   travel to pickup                                  (detour 1.3 at 320 m/min)
//   + (arrival - ready)     if the rider is late for the food
//   + (ready - arrival) / 2 if the rider would stand idle at the counter
//   + 3 x (drop-off - promised) if the customer gets it late
// The penalty for waiting a round falls as the ready time moves away: an order ready in 15
// minutes loses little by waiting, one ready now loses a lot. A plausible shape for
// benchmarking and testing, not the production cost model.
#include <cstdint>

#include "tidewire/common/expected.hpp"
#include "tidewire/dispatch/assignment.hpp"

namespace tidewire::dispatch {

struct InstanceSpec {
  uint64_t seed = 1;
  int32_t orders = 200;
  int32_t riders = 800;
  int32_t candidates_per_order = 30;  // nearest riders offered per order (fewer if fewer riders)
  double city_side_m = 12'000.0;
  int32_t districts = 12;             // busy areas that orders and riders cluster around
};

// Same spec (and seed) gives the same problem. kInvalidArgument for counts out of range
// (see assignment.hpp), a non-positive city side or candidates < 0.
Expected<AssignmentProblem> generate_instance(const InstanceSpec& spec);

}  // namespace tidewire::dispatch

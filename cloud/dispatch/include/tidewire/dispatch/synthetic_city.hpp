#pragma once
// Synthetic rider fleets over a disc-shaped city, deterministic for a seed: the input of
// `tidewire-sim bench dispatch` (instant-policy decisions/s at 100k riders) and of the
// index tests. Nothing here reads a clock; the bench times run_candidate_queries itself.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tidewire/common/expected.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/dispatch/geo.hpp"
#include "tidewire/dispatch/rider_index.hpp"

namespace tidewire::dispatch {

struct CityArea {
  LatLon centre{31.2304, 121.4737};  // Shanghai, People's Square
  double radius_m = 20'000;
};

// Upserts riders "<prefix>0" .. "<prefix><count-1>" at uniform points of the city; each
// is available with probability `available_fraction`. Stops at the first refusal.
Status populate_riders(RiderIndex& index, Random& random, const CityArea& city, size_t count,
                       double available_fraction = 1.0, int64_t reported_ms = 0, const std::string& prefix = "rider-");

// Runs `queries` candidate searches at uniform points of the city, as the instant policy
// does per order, and returns how many candidates they found in total (a result the
// caller can check, so the work is never optimised away).
uint64_t run_candidate_queries(const RiderIndex& index, Random& random, const CityArea& city, size_t queries,
                               double radius_m, size_t max_count);

}  // namespace tidewire::dispatch

#include "tidewire/dispatch/synthetic_city.hpp"

namespace tidewire::dispatch {

Status populate_riders(RiderIndex& index, Random& random, const CityArea& city, size_t count, double available_fraction,
                       int64_t reported_ms, const std::string& prefix) {
  std::string id;
  for (size_t i = 0; i < count; ++i) {
    id = prefix;
    id += std::to_string(i);
    const LatLon position = random_point_within(random, city.centre, city.radius_m);
    const bool available = random.unit() < available_fraction;
    if (Status st = index.upsert(id, position, available, reported_ms); !st) return st;
  }
  return {};
}

uint64_t run_candidate_queries(const RiderIndex& index, Random& random, const CityArea& city, size_t queries,
                               double radius_m, size_t max_count) {
  uint64_t found = 0;
  for (size_t i = 0; i < queries; ++i) {
    found += index.candidates(random_point_within(random, city.centre, city.radius_m), radius_m, max_count).size();
  }
  return found;
}

}  // namespace tidewire::dispatch

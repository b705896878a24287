#pragma once
// A delivery day as the dispatch replay reads it: orders.csv and riders.csv (formats in
// docs/dispatch.md, "Replay"), and a generator of synthetic days with lunch and dinner
// peaks, deterministic for a seed. Times are seconds from the start of the day.
#include <cstdint>
#include <string>
#include <vector>

#include "tidewire/common/expected.hpp"

namespace tidewire::sim {

struct DayOrder {
  std::string id;
  int64_t placed_s = 0;
  int64_t ready_s = 0;
  double pickup_lat = 0, pickup_lon = 0;
  double dropoff_lat = 0, dropoff_lon = 0;
};

struct DayRider {
  std::string id;
  double lat = 0, lon = 0;
  int64_t on_s = 0;
  int64_t off_s = 0;
};

struct Day {
  std::vector<DayOrder> orders;  // by placed_s
  std::vector<DayRider> riders;
};

struct DayOptions {
  uint64_t seed = 1;
  int orders = 2'000;
  int riders = 200;
  double centre_lat = 31.2304;  // Shanghai, People's Square
  double centre_lon = 121.4737;
  double city_radius_m = 6'000;
};
// 1..1,000,000 orders, 1..100,000 riders, radius 500 m..100 km.
Status validate(const DayOptions& options);

// Merchants cluster in a few food streets; orders follow a lunch peak (12:00), a dinner
// peak (18:30) and a thin base from 09:00 to 23:00; food is ready 8-20 min after the
// order; drop-offs lie 0.3-3.5 km from the merchant. Riders work a lunch shift, a dinner
// shift or the whole day, starting anywhere in the city.
Day generate_day(const DayOptions& options);

// CSV with the header line; every row checked (count of fields, numbers, coordinate
// ranges, ready >= placed, off > on, unique ids), errors name the file and line.
Status write_orders_csv(const std::string& path, const std::vector<DayOrder>& orders);
Status write_riders_csv(const std::string& path, const std::vector<DayRider>& riders);
Expected<std::vector<DayOrder>> read_orders_csv(const std::string& path);
Expected<std::vector<DayRider>> read_riders_csv(const std::string& path);

}  // namespace tidewire::sim

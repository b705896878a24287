#pragma once
// Dispatch regions: parts of the city that run their own policy (docs/dispatch.md,
// "Policies"). A region is a name, a latitude/longitude box and a policy kind, and a batch
// region may round at its own interval. An order belongs to the first region whose box
// holds its pickup point; an order in no region uses the default policy.
//
// Boxes, not polygons: a box is what an operator can type into one flag and check on a
// map, and the first-match rule lets a small box carve an exception out of a bigger one
// listed after it. Boxes crossing the antimeridian are not supported (lon_min < lon_max).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/dispatch/dispatch_policy.hpp"

namespace tidewire::dispatch {

inline constexpr size_t kMaxRegions = 64;

struct Region {
  std::string name;  // 1-32 characters of [A-Za-z0-9_.-], unique
  double lat_min = 0;
  double lon_min = 0;
  double lat_max = 0;
  double lon_max = 0;
  PolicyKind kind = PolicyKind::kInstant;
  // Batch regions only: the region's own round interval; 0 = the default batch interval.
  int64_t batch_interval_ms = 0;

  // Edges included: a pickup on a shared edge goes to the region listed first.
  bool contains(double lat, double lon) const;
};

// Parses the --dispatch-regions flag:
//
//   name:lat_min,lon_min,lat_max,lon_max:policy[:interval_s][;name:...]
//   e.g. "north:31.20,121.40,31.30,121.55:batch:3;south:31.10,121.40,31.20,121.55:instant"
//
// Spaces around fields are ignored; an empty text means no regions. Errors
// (kInvalidArgument) name the region by position and name and say what to fix.
Expected<std::vector<Region>> parse_regions(const std::string& text);

// The checks parse_regions applies, for regions built in code: valid unique names, boxes
// inside -90..90 / -180..180 with min < max, an interval only on a batch region and within
// 0.1-3600 s, at most kMaxRegions, and no region lying wholly inside an earlier one (it
// would never match under the first-match rule).
Status validate(const std::vector<Region>& regions);

// The index of the first region holding the point, or nullopt (the default policy).
std::optional<size_t> region_of(const std::vector<Region>& regions, double lat, double lon);

// "north=batch/3s,south=instant", for logs.
std::string describe(const std::vector<Region>& regions);

}  // namespace tidewire::dispatch

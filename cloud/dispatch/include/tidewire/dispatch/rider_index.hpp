#pragma once
// RiderIndex: where every known rider is, and which available riders are near a point.
//
// Riders are interned: a string id maps once to a small integer slot, and the grid cells
// (see src/cell_grid.hpp) hold only the slots of *available* riders, so a query never
// walks past riders who are busy or off shift. A position report moves a rider between
// cells in O(1) (swap-remove). A query scans rings of cells outward from the point and
// stops as soon as the k best riders found are provably closer than anything unscanned.
// Distances are great-circle metres, bit-for-bit equal to haversine_m().
//
// Sizing: ~170 bytes per rider plus ~100 per occupied cell: 100k riders over a 20 km
// city take ~18 MB (approx_memory_bytes(); measured RSS growth 16 MB). Queries there run
// at ~70k/s (radius 3 km, 10 candidates, one core).
//
// Threads: not synchronised. Writers need exclusive access; const queries may run
// concurrently with each other (their scratch space is per thread).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/dispatch/geo.hpp"

namespace tidewire::dispatch {

namespace detail {
class CellGrid;
}

inline constexpr size_t kMaxRiderIdBytes = 128;

struct RiderIndexOptions {
  // Edge of a grid cell. About the typical query radius divided by 2-4: smaller cells
  // mean more empty cells visited, larger ones more riders examined per cell.
  double cell_size_m = 500.0;
  // Cap on every query radius; nearest() searches out to exactly this far.
  double max_radius_m = 50'000.0;
  // Bound on riders held; position reports from new riders beyond it are refused.
  size_t max_riders = 1'000'000;
};
// cell_size_m in [50, 100000], max_radius_m in (0, half the Earth's circumference],
// max_riders in [1, 2^31]. For options that came from a flag or a file.
Status validate(const RiderIndexOptions& options);

// What the index knows about one rider.
struct RiderState {
  LatLon position;
  bool available = false;
  int64_t reported_ms = 0;  // timestamp of the position report in use
  int32_t load = 0;         // orders the rider carries (informational, filterable)
};

struct RiderCandidate {
  std::string id;
  double distance_m = 0;  // great-circle, as haversine_m(point, position)
  LatLon position;
  int32_t load = 0;
};

struct CandidateFilter {
  // Riders never to return, e.g. those who declined or timed out on this order. Ids the
  // index does not hold are ignored.
  std::span<const std::string> exclude{};
  // Riders whose last report is older than this are skipped (their position is stale,
  // their terminal may be gone). The default skips nobody.
  int64_t reported_since_ms = std::numeric_limits<int64_t>::min();
  // Riders carrying more orders than this are skipped.
  int32_t max_load = std::numeric_limits<int32_t>::max();
};

// Monotonic counters for the owner to export as metrics.
struct RiderIndexStats {
  uint64_t reports_applied = 0;       // upserts that changed the index
  uint64_t reports_out_of_order = 0;  // older than the report in use: ignored
  uint64_t rejected_invalid = 0;      // bad id or position: refused
  uint64_t rejected_full = 0;         // new rider while at max_riders: refused
  uint64_t cell_moves = 0;            // available rider crossed into another cell
  uint64_t removed = 0;               // remove() and remove_stale()
};

class RiderIndex {
 public:
  // Out-of-range options are clamped into the ranges validate() accepts.
  explicit RiderIndex(RiderIndexOptions options = {});
  ~RiderIndex();
  // A moved-from index may only be destroyed or assigned to.
  RiderIndex(RiderIndex&&) noexcept;
  RiderIndex& operator=(RiderIndex&&) noexcept;
  RiderIndex(const RiderIndex&) = delete;
  RiderIndex& operator=(const RiderIndex&) = delete;

  // Adds the rider or applies a newer report. A report older than the one in use is
  // ignored (returns OK, counted in reports_out_of_order): MQTT may redeliver or reorder.
  // kInvalidArgument for an empty or over-long id or a bad position, kTooLarge when a new
  // rider would exceed max_riders; either way the index is unchanged.
  Status upsert(std::string_view id, const LatLon& position, bool available, int64_t reported_ms);
  // kNotFound for an unknown id.
  Status remove(std::string_view id);
  Status set_available(std::string_view id, bool available);
  Status set_load(std::string_view id, int32_t load);
  // Drops every rider whose last report is older than `reported_before_ms`; returns how
  // many (terminals that went silent without going off shift).
  size_t remove_stale(int64_t reported_before_ms);

  std::optional<RiderState> find(std::string_view id) const;

  // Available riders within `radius_m` of `point` (capped at max_radius_m), nearest
  // first, at most `max_count`; equal distances are ordered by id. An invalid point, a
  // radius that is not > 0 or max_count 0 give an empty result. Allocates only the result.
  std::vector<RiderCandidate> candidates(const LatLon& point, double radius_m, size_t max_count,
                                         const CandidateFilter& filter = {}) const;
  // The `max_count` nearest available riders within max_radius_m.
  std::vector<RiderCandidate> nearest(const LatLon& point, size_t max_count, const CandidateFilter& filter = {}) const;

  size_t size() const { return id_of_slot_.size() - free_slots_.size(); }
  size_t available_count() const { return available_count_; }
  size_t occupied_cells() const { return cells_.size(); }
  // Heap bytes held by the index (an estimate of the allocator's view).
  size_t approx_memory_bytes() const;
  const RiderIndexStats& stats() const { return stats_; }
  const RiderIndexOptions& options() const { return options_; }

 private:
  struct Rider {
    LatLon position;
    double lat_rad = 0;  // precomputed for the haversine in every query
    double cos_lat = 0;
    int64_t reported_ms = 0;
    uint64_t cell = 0;  // the cell its position falls in (held there only if available)
    uint32_t index_in_cell = 0;
    int32_t load = 0;
    bool available = false;
    bool live = false;
  };
  struct IdHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct CellHash {
    size_t operator()(uint64_t key) const noexcept;
  };

  std::optional<uint32_t> slot_of(std::string_view id) const;
  void enter_cell(uint32_t slot);
  void leave_cell(uint32_t slot);
  void release(uint32_t slot);

  RiderIndexOptions options_;
  std::unique_ptr<detail::CellGrid> grid_;
  std::vector<Rider> riders_;  // by slot
  // Points at the key inside slots_ (node keys never move), so each id is stored once.
  std::vector<const std::string*> id_of_slot_;
  std::vector<uint32_t> free_slots_;
  std::unordered_map<std::string, uint32_t, IdHash, std::equal_to<>> slots_;
  std::unordered_map<uint64_t, std::vector<uint32_t>, CellHash> cells_;
  size_t available_count_ = 0;
  RiderIndexStats stats_;
};

}  // namespace tidewire::dispatch

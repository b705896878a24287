#pragma once
// The RiderIndex's grid: rows of equal latitude height, each row cut into as many
// columns as make its cells about as wide as they are tall. Cells therefore stay
// roughly square from the equator to high latitudes (near the poles rows just have few,
// wide cells), and every row wraps exactly at the antimeridian, so column arithmetic is
// modulo the row's column count and needs no special case at lon ±180.
//
// Columns are handled "unwrapped" while covering a disc (they may be negative or past
// the row's count, all relative to the same origin at lon -180); wrap() maps them back.
#include <cstdint>
#include <vector>

#include "tidewire/dispatch/geo.hpp"

namespace tidewire::dispatch::detail {

struct ColumnSpan {
  int64_t lo = 0;     // unwrapped, inclusive
  int64_t hi = -1;    // unwrapped, inclusive
  bool full = false;  // the disc may touch every column of the row
};

class CellGrid {
 public:
  // `cell_size_m` must already be validated (positive, at least tens of metres).
  explicit CellGrid(double cell_size_m);

  int32_t rows() const { return static_cast<int32_t>(columns_.size()); }
  int32_t row_of(double lat_deg) const;
  int64_t columns(int32_t row) const { return columns_[static_cast<size_t>(row)]; }
  // Unwrapped column of a longitude in [-180, 180] (lon 180 gives `columns(row)`, the
  // same cell as -180 once wrapped).
  int64_t unwrapped_col(int32_t row, double lon_deg) const;
  int64_t wrap(int32_t row, int64_t col) const;

  static uint64_t key(int32_t row, int64_t wrapped_col) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(row)) << 32) | static_cast<uint32_t>(wrapped_col);
  }
  uint64_t key_of(const LatLon& p) const;

  // Rows [lo, hi] that can hold a point within `angle_rad` (great-circle) of `p`.
  void rows_within(const LatLon& p, double angle_rad, int32_t& lo, int32_t& hi) const;
  // Columns of `row` that can hold a point within `angle_rad` of `p`; `cos_lat_p` is
  // cos(p.lat). Conservative: it may include a few cells that turn out empty, never
  // miss one that holds a point inside the disc.
  ColumnSpan columns_within(int32_t row, const LatLon& p, double cos_lat_p, double angle_rad) const;

  size_t memory_bytes() const { return columns_.capacity() * sizeof(int32_t); }

 private:
  double row_height_deg_;
  std::vector<int32_t> columns_;  // column count per row
};

}  // namespace tidewire::dispatch::detail

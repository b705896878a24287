#include "cell_grid.hpp"

#include <algorithm>
#include <cmath>

#include "haversine_term.hpp"

namespace tidewire::dispatch::detail {

namespace {

// Covering bounds are widened by this much (relative and absolute, in degrees, ~0.1 mm)
// so that rounding in the trigonometry can never drop a cell at the disc's edge.
constexpr double kMarginRel = 1e-9;
constexpr double kMarginDeg = 1e-9;

double widened_deg(double angle_rad) {
  return angle_rad / kRadPerDeg * (1.0 + kMarginRel) + kMarginDeg;
}

}  // namespace

CellGrid::CellGrid(double cell_size_m) : row_height_deg_(cell_size_m / kMetresPerDegree) {
  const auto rows = static_cast<size_t>(std::ceil(180.0 / row_height_deg_ - 1e-9));
  columns_.resize(std::max<size_t>(rows, 1));
  for (size_t r = 0; r < columns_.size(); ++r) {
    const double lo = -90.0 + static_cast<double>(r) * row_height_deg_;
    const double hi = std::min(lo + row_height_deg_, 90.0);
    const double parallel_m = 360.0 * kMetresPerDegree * std::cos((lo + hi) * 0.5 * kRadPerDeg);
    columns_[r] = std::max(1, static_cast<int32_t>(std::floor(parallel_m / cell_size_m)));
  }
}

int32_t CellGrid::row_of(double lat_deg) const {
  const double r = std::floor((lat_deg + 90.0) / row_height_deg_);
  if (!(r >= 0.0)) return 0;  // also NaN: casting it would be undefined
  return static_cast<int32_t>(std::min(r, static_cast<double>(rows() - 1)));
}

int64_t CellGrid::unwrapped_col(int32_t row, double lon_deg) const {
  const auto n = static_cast<double>(columns(row));
  return static_cast<int64_t>(std::floor((lon_deg + 180.0) * n / 360.0));
}

int64_t CellGrid::wrap(int32_t row, int64_t col) const {
  const int64_t n = columns(row);
  return ((col % n) + n) % n;
}

uint64_t CellGrid::key_of(const LatLon& p) const {
  const int32_t row = row_of(p.lat);
  return key(row, wrap(row, unwrapped_col(row, p.lon)));
}

void CellGrid::rows_within(const LatLon& p, double angle_rad, int32_t& lo, int32_t& hi) const {
  // A great-circle arc is never shorter than its latitude difference.
  const double reach = widened_deg(angle_rad);
  lo = row_of(std::max(-90.0, p.lat - reach));
  hi = row_of(std::min(90.0, p.lat + reach));
}

ColumnSpan CellGrid::columns_within(int32_t row, const LatLon& p, double cos_lat_p, double angle_rad) const {
  const int64_t n = columns(row);
  const int64_t centre = unwrapped_col(row, p.lon);
  const ColumnSpan everything{centre, centre + n - 1, true};

  // Latitudes of this row that can be inside the disc.
  const double reach = widened_deg(angle_rad);
  const double band_lo = -90.0 + row * row_height_deg_;
  const double band_hi = std::min(band_lo + row_height_deg_, 90.0);
  double lo = std::max(band_lo, p.lat - reach);
  double hi = std::min(band_hi, p.lat + reach);
  if (lo > hi) {
    lo = band_lo;
    hi = band_hi;
  }
  // From the haversine formula, a point at latitude phi within the angle satisfies
  //   cos(phi_p) cos(phi) sin^2(dlon/2) <= sin^2(angle/2),
  // so the widest longitude reach in this row is where cos(phi) is smallest.
  const double cos_min = std::cos(std::min(90.0, std::max(std::fabs(lo), std::fabs(hi))) * kRadPerDeg);
  const double denom = cos_lat_p * cos_min;
  const double s_half = std::sin(std::min(angle_rad, std::numbers::pi) * 0.5);
  if (denom <= 0.0 || s_half * s_half >= denom) return everything;  // the disc reaches around the pole

  const double dlon = widened_deg(2.0 * std::asin(s_half / std::sqrt(denom)));
  if (dlon >= 180.0) return everything;
  const auto nd = static_cast<double>(n);
  ColumnSpan span;
  span.lo = static_cast<int64_t>(std::floor((p.lon - dlon + 180.0) * nd / 360.0));
  span.hi = static_cast<int64_t>(std::floor((p.lon + dlon + 180.0) * nd / 360.0));
  if (span.hi - span.lo + 1 >= n) return everything;
  return span;
}

}  // namespace tidewire::dispatch::detail

// RiderIndex queries: ring scan outward from the point with a bounded max-heap of the
// best riders so far.
#include <algorithm>
#include <cmath>

#include "cell_grid.hpp"
#include "haversine_term.hpp"
#include "tidewire/dispatch/rider_index.hpp"

namespace tidewire::dispatch {

namespace {

struct Hit {
  double metres;
  double term;  // haversine term of `metres`: a cheap pre-filter before the asin
  uint32_t slot;
};

// A term this much (relatively) above another one is certain to give a larger distance
// in metres, far beyond any rounding of the asin; within it, the metres decide.
constexpr double kTermSlack = 1.0 + 1e-9;

// How far each row of the scan has been covered, in unwrapped columns.
struct RowScan {
  int64_t lo = 0;
  int64_t hi = -1;
  bool any = false;
  bool full = false;
};

// Reused by every query on this thread: after the first few queries a search allocates
// nothing but its result, and const queries on different threads do not share it.
struct Scratch {
  std::vector<Hit> heap;
  std::vector<RowScan> rows;
  std::vector<uint32_t> excluded;
};
thread_local Scratch scratch;

}  // namespace

std::vector<RiderCandidate> RiderIndex::candidates(const LatLon& point, double radius_m, size_t max_count,
                                                   const CandidateFilter& filter) const {
  if (max_count == 0 || !is_valid(point) || !(radius_m > 0) || available_count_ == 0) return {};
  const double radius = std::min(radius_m, options_.max_radius_m);
  const double lat_p = point.lat * detail::kRadPerDeg;
  const double cos_p = std::cos(lat_p);
  const double term_limit = detail::term_from_metres(radius) * kTermSlack;
  const size_t want = std::min(max_count, available_count_);

  Scratch& s = scratch;
  s.heap.clear();
  s.excluded.clear();
  for (const std::string& id : filter.exclude) {
    if (const auto slot = slot_of(id)) s.excluded.push_back(*slot);
  }
  std::sort(s.excluded.begin(), s.excluded.end());

  // Max-heap on (metres, id): the front is the worst of the best `want` so far. Ranking
  // by the metres haversine_m() would return (not by the term) keeps ties, e.g. riders
  // clamped onto a pole, in exactly the order a caller's own sort would give.
  const auto better = [this](const Hit& a, const Hit& b) {
    return a.metres < b.metres || (a.metres == b.metres && *id_of_slot_[a.slot] < *id_of_slot_[b.slot]);
  };

  size_t examined = 0;
  const auto visit = [&](int32_t row, int64_t col) {
    const auto it = cells_.find(detail::CellGrid::key(row, grid_->wrap(row, col)));
    if (it == cells_.end()) return;
    examined += it->second.size();
    for (const uint32_t slot : it->second) {
      const Rider& r = riders_[slot];
      if (r.reported_ms < filter.reported_since_ms || r.load > filter.max_load) continue;
      // Same operands, same order as haversine_m(point, r.position): identical bits.
      const double term =
          detail::haversine_term(lat_p, cos_p, r.lat_rad, r.cos_lat, (r.position.lon - point.lon) * detail::kRadPerDeg);
      if (term > term_limit) continue;
      const bool full = s.heap.size() == want;
      if (full && term > s.heap.front().term * kTermSlack) continue;
      const Hit hit{detail::metres_from_term(term), term, slot};
      if (hit.metres > radius || (full && !better(hit, s.heap.front()))) continue;
      if (!s.excluded.empty() && std::binary_search(s.excluded.begin(), s.excluded.end(), slot)) continue;
      if (full) {
        std::pop_heap(s.heap.begin(), s.heap.end(), better);
        s.heap.pop_back();
      }
      s.heap.push_back(hit);
      std::push_heap(s.heap.begin(), s.heap.end(), better);
    }
  };

  int32_t row_lo = 0;
  int32_t row_hi = 0;
  grid_->rows_within(point, radius / kEarthRadiusM, row_lo, row_hi);
  s.rows.assign(static_cast<size_t>(row_hi - row_lo + 1), RowScan{});

  // Each ring covers the disc of radius `reach` and visits only cells no earlier ring
  // visited (per row the covered columns only ever widen), so every available rider is
  // examined at most once. Rings widen by a cell, or by a quarter of the reach once that
  // is larger, to keep far searches to a few dozen rings.
  double reach = 0;
  while (true) {
    reach = std::min(radius, reach + std::max(options_.cell_size_m, reach * 0.25));
    const double angle = reach / kEarthRadiusM;
    int32_t lo = 0;
    int32_t hi = 0;
    grid_->rows_within(point, angle, lo, hi);
    lo = std::max(lo, row_lo);
    hi = std::min(hi, row_hi);
    for (int32_t row = lo; row <= hi; ++row) {
      RowScan& scan = s.rows[static_cast<size_t>(row - row_lo)];
      if (scan.full) continue;
      const int64_t n = grid_->columns(row);
      detail::ColumnSpan span = grid_->columns_within(row, point, cos_p, angle);
      if (scan.any && !span.full) {
        span.lo = std::min(span.lo, scan.lo);
        span.hi = std::max(span.hi, scan.hi);
        span.full = span.hi - span.lo + 1 >= n;
      }
      if (span.full) {
        // The rest of the row, going round from just past what is covered.
        const int64_t from = scan.any ? scan.hi + 1 : span.lo;
        const int64_t to = scan.any ? scan.lo + n - 1 : span.lo + n - 1;
        for (int64_t c = from; c <= to; ++c) visit(row, c);
        scan.full = true;
        scan.any = true;
        continue;
      }
      if (scan.any) {
        for (int64_t c = span.lo; c < scan.lo; ++c) visit(row, c);
        for (int64_t c = scan.hi + 1; c <= span.hi; ++c) visit(row, c);
      } else {
        for (int64_t c = span.lo; c <= span.hi; ++c) visit(row, c);
      }
      scan.lo = span.lo;
      scan.hi = span.hi;
      scan.any = true;
    }
    if (reach >= radius || examined >= available_count_) break;
    // Everything within `reach` has been seen; an unseen rider is farther than that,
    // so once the worst kept rider is within it nobody unseen can displace it.
    if (s.heap.size() == want && s.heap.front().metres <= reach) break;
  }

  std::sort_heap(s.heap.begin(), s.heap.end(), better);
  std::vector<RiderCandidate> out;
  out.reserve(s.heap.size());
  for (const Hit& hit : s.heap) {
    const Rider& r = riders_[hit.slot];
    out.push_back(RiderCandidate{*id_of_slot_[hit.slot], hit.metres, r.position, r.load});
  }
  return out;
}

std::vector<RiderCandidate> RiderIndex::nearest(const LatLon& point, size_t max_count,
                                                const CandidateFilter& filter) const {
  return candidates(point, options_.max_radius_m, max_count, filter);
}

}  // namespace tidewire::dispatch

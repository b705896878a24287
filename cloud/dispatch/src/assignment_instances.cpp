// Generator of realistic-looking dispatch rounds (see assignment_instances.hpp).
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "tidewire/common/random.hpp"
#include "tidewire/dispatch/assignment_instances.hpp"

namespace tidewire::dispatch {
namespace {

// Same travel assumptions as StraightLineTravel's defaults plus a city-grid detour.
constexpr double kMetresPerDecisecond = 320.0 / 600.0;
constexpr double kDetour = 1.3;
constexpr Cost kMaxReadyDs = 9'000;  // orders become ready within the next 15 minutes
constexpr Cost kPromiseLateWeight = 3;

struct Point {
  double x = 0;
  double y = 0;
};

class CityModel {
 public:
  CityModel(const InstanceSpec& spec, Random& random) : spec_(spec), random_(random) {
    for (int32_t d = 0; d < std::max(1, spec.districts); ++d) {
      districts_.push_back({spec.city_side_m * (0.1 + 0.8 * random_.unit()),
                            spec.city_side_m * (0.1 + 0.8 * random_.unit())});
    }
  }

  // `clustered` of the points sit around a district with spread `sigma_m`, the rest anywhere.
  Point place(double clustered, double sigma_m) {
    if (random_.unit() >= clustered) return {spec_.city_side_m * random_.unit(), spec_.city_side_m * random_.unit()};
    const Point& centre = districts_[random_.uniform(0, districts_.size() - 1)];
    return {clamp(centre.x + sigma_m * gaussian()), clamp(centre.y + sigma_m * gaussian())};
  }

  Cost uniform(Cost lo, Cost hi) {
    return static_cast<Cost>(random_.uniform(0, static_cast<uint64_t>(hi - lo))) + lo;
  }

 private:
  double gaussian() {  // Box-Muller; 1 - unit() is in (0, 1], so the log is finite
    const double r = std::sqrt(-2.0 * std::log(1.0 - random_.unit()));
    return r * std::cos(6.283185307179586 * random_.unit());
  }
  double clamp(double v) const { return std::clamp(v, 0.0, spec_.city_side_m); }

  const InstanceSpec& spec_;
  Random& random_;
  std::vector<Point> districts_;
};

// Riders bucketed on a square grid, so each order finds its k nearest by growing rings of
// cells instead of scanning every rider.
class RiderGrid {
 public:
  RiderGrid(const std::vector<Point>& riders, double side_m) : riders_(riders) {
    cells_ = std::max(1, static_cast<int>(std::sqrt(static_cast<double>(riders.size()) / 2.0)));
    cell_m_ = side_m / cells_;
    start_.assign(static_cast<std::size_t>(cells_ * cells_) + 1, 0);
    for (const Point& p : riders) ++start_[cell_index(p) + 1];
    for (std::size_t c = 1; c < start_.size(); ++c) start_[c] += start_[c - 1];
    members_.resize(riders.size());
    std::vector<std::size_t> next(start_.begin(), start_.end() - 1);
    for (std::size_t r = 0; r < riders.size(); ++r) members_[next[cell_index(riders[r])]++] = static_cast<int32_t>(r);
  }

  // (squared distance, rider) of the k nearest riders, nearest first.
  std::vector<std::pair<double, int32_t>> nearest(const Point& p, std::size_t k) const {
    std::vector<std::pair<double, int32_t>> found;
    if (k == 0) return found;
    const int cx = coord(p.x);
    const int cy = coord(p.y);
    for (int ring = 0; ring <= cells_; ++ring) {
      for (int y = cy - ring; y <= cy + ring; ++y) {
        for (int x = cx - ring; x <= cx + ring; ++x) {
          const bool on_ring = std::abs(x - cx) == ring || std::abs(y - cy) == ring;
          if (!on_ring || x < 0 || y < 0 || x >= cells_ || y >= cells_) continue;
          const auto cell = static_cast<std::size_t>(y * cells_ + x);
          for (std::size_t m = start_[cell]; m < start_[cell + 1]; ++m) {
            const Point& q = riders_[static_cast<std::size_t>(members_[m])];
            found.emplace_back((q.x - p.x) * (q.x - p.x) + (q.y - p.y) * (q.y - p.y), members_[m]);
          }
        }
      }
      // Anything in a further ring is at least ring * cell_m_ away.
      if (found.size() >= k) {
        std::nth_element(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(k - 1), found.end());
        const double reach = ring * cell_m_;
        if (found[k - 1].first <= reach * reach) break;
      }
    }
    const std::size_t keep = std::min(k, found.size());
    std::partial_sort(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(keep), found.end());
    found.resize(keep);
    return found;
  }

 private:
  int coord(double v) const { return std::clamp(static_cast<int>(v / cell_m_), 0, cells_ - 1); }
  std::size_t cell_index(const Point& p) const { return static_cast<std::size_t>(coord(p.y) * cells_ + coord(p.x)); }

  const std::vector<Point>& riders_;
  int cells_ = 1;
  double cell_m_ = 1.0;
  std::vector<std::size_t> start_;
  std::vector<int32_t> members_;
};

Cost travel_ds(double metres) { return static_cast<Cost>(std::lround(metres * kDetour / kMetresPerDecisecond)); }

}  // namespace

Expected<AssignmentProblem> generate_instance(const InstanceSpec& spec) {
  if (spec.orders < 0 || spec.orders > kMaxOrders || spec.riders < 0 || spec.riders > kMaxRiders ||
      spec.candidates_per_order < 0 || !(spec.city_side_m > 0.0) || !std::isfinite(spec.city_side_m)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "instance spec: orders in [0, " + std::to_string(kMaxOrders) + "], riders in [0, " +
                          std::to_string(kMaxRiders) + "], candidates >= 0 and a positive city side, please");
  }
  SeededRandom random(spec.seed);
  CityModel city(spec, random);
  std::vector<Point> riders;
  riders.reserve(static_cast<std::size_t>(spec.riders));
  for (int32_t r = 0; r < spec.riders; ++r) riders.push_back(city.place(0.4, 1'200.0));
  const RiderGrid grid(riders, spec.city_side_m);

  AssignmentProblem problem;
  problem.orders = spec.orders;
  problem.riders = spec.riders;
  problem.unassigned_penalty.reserve(static_cast<std::size_t>(spec.orders));
  problem.edges.reserve(static_cast<std::size_t>(spec.orders) *
                        static_cast<std::size_t>(std::min(spec.candidates_per_order, spec.riders)));
  for (int32_t i = 0; i < spec.orders; ++i) {
    const Point pickup = city.place(0.7, 600.0);
    const Cost ready = city.uniform(0, kMaxReadyDs);
    const Cost delivery = travel_ds(static_cast<double>(city.uniform(800, 5'000)));
    const Cost promised = ready + delivery + city.uniform(-1'800, 9'000);
    problem.unassigned_penalty.push_back(600 + (kMaxReadyDs - ready));
    for (const auto& [distance2, rider] : grid.nearest(pickup, static_cast<std::size_t>(spec.candidates_per_order))) {
      const Cost arrival = travel_ds(std::sqrt(distance2));
      const Cost pickup_at = std::max(arrival, ready);
      const Cost cost = arrival + std::max<Cost>(0, arrival - ready) + std::max<Cost>(0, ready - arrival) / 2 +
                        kPromiseLateWeight * std::max<Cost>(0, pickup_at + delivery - promised);
      problem.edges.push_back({i, rider, cost});
    }
  }
  return problem;
}

}  // namespace tidewire::dispatch

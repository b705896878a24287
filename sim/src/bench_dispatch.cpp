#include <chrono>
#include <sstream>

#include "tidewire/dispatch/assignment.hpp"
#include "tidewire/dispatch/assignment_instances.hpp"
#include "tidewire/dispatch/reference_solver.hpp"
#include "tidewire/dispatch/rider_index.hpp"
#include "tidewire/dispatch/synthetic_city.hpp"
#include "tidewire/dispatch/travel_time.hpp"
#include "tidewire/sim/bench.hpp"

namespace tidewire::sim {
namespace {

double elapsed_ms(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Expected<std::string> bench_dispatch(const DispatchBenchOptions& o) {
  using namespace dispatch;
  std::ostringstream os;
  os << "{\"bench\":\"dispatch\"";

  // Instant policy: per order, ask the index for nearby available riders, price each by
  // travel time to the pickup, take the cheapest and mark it busy.
  {
    RiderIndex index;
    SeededRandom random(o.seed);
    CityArea city;
    if (auto st = populate_riders(index, random, city, static_cast<size_t>(o.index_riders), 0.8); !st) {
      return st.error().with_context("populate rider index");
    }
    StraightLineTravel travel(320);
    size_t assigned = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < o.instant_orders; ++i) {
      LatLon pickup = random_point_within(random, city.centre, city.radius_m);
      auto candidates = index.candidates(pickup, 3000, 10);
      const RiderCandidate* best = nullptr;
      double best_s = 0;
      for (const auto& c : candidates) {
        double s = travel.seconds(c.position, pickup);
        if (!best || s < best_s) {
          best = &c;
          best_s = s;
        }
      }
      if (best && index.set_available(best->id, false)) ++assigned;
    }
    double ms = elapsed_ms(t0);
    os << ",\"instant_index_riders\":" << o.index_riders << ",\"instant_orders\":" << o.instant_orders
       << ",\"instant_assigned\":" << assigned
       << ",\"instant_decisions_per_s\":" << static_cast<int64_t>(o.instant_orders / std::max(ms, 1e-3) * 1000.0);
  }

  // Batch solve time at the size: 5,000 open orders x 20,000 riders.
  InstanceSpec big{o.seed, o.batch_orders, o.batch_riders, o.candidates_per_order};
  auto problem = generate_instance(big);
  if (!problem) return problem.error().with_context("generate batch instance");
  double best_ms = 1e300;
  Cost exact_cost = 0;
  for (int rep = 0; rep < o.repetitions; ++rep) {
    auto t0 = std::chrono::steady_clock::now();
    auto exact = solve_exact(*problem);
    double ms = elapsed_ms(t0);
    if (!exact) return exact.error().with_context("solve_exact");
    best_ms = std::min(best_ms, ms);
    exact_cost = exact->total_cost;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto greedy_big = solve_greedy(*problem);
  double greedy_ms = elapsed_ms(t0);
  if (!greedy_big) return greedy_big.error();
  os << ",\"batch_orders\":" << o.batch_orders << ",\"batch_riders\":" << o.batch_riders
     << ",\"candidates_per_order\":" << o.candidates_per_order << ",\"batch_exact_solve_ms\":" << best_ms
     << ",\"batch_greedy_solve_ms\":" << greedy_ms << ",\"batch_exact_cost\":" << exact_cost
     << ",\"batch_greedy_cost\":" << greedy_big->total_cost;

  // Cost against the exact reference (Boost min-cost flow) on instances it can solve,
  // and against greedy nearest-first.
  Cost sum_exact = 0, sum_reference = 0, sum_greedy = 0;
  int equal = 0;
  for (int i = 0; i < o.reference_instances; ++i) {
    InstanceSpec spec{o.seed + 1000 + static_cast<uint64_t>(i), o.reference_orders, o.reference_riders,
                      o.candidates_per_order};
    auto p = generate_instance(spec);
    if (!p) return p.error();
    auto exact = solve_exact(*p);
    auto reference = solve_reference_min_cost_flow(*p);
    auto greedy = solve_greedy(*p);
    if (!exact || !reference || !greedy) return make_error(ErrorCode::kInternal, "a solver failed on a reference instance");
    sum_exact += exact->total_cost;
    sum_reference += reference->total_cost;
    sum_greedy += greedy->total_cost;
    if (exact->total_cost == reference->total_cost) ++equal;
  }
  os << ",\"reference_instances\":" << o.reference_instances << ",\"reference_size\":\"" << o.reference_orders << "x"
     << o.reference_riders << "\",\"exact_equals_reference\":" << equal << ",\"exact_cost_total\":" << sum_exact
     << ",\"reference_cost_total\":" << sum_reference << ",\"greedy_cost_total\":" << sum_greedy
     << ",\"greedy_over_exact\":" << (sum_exact > 0 ? static_cast<double>(sum_greedy) / static_cast<double>(sum_exact) : 0)
     << "}";
  return os.str();
}

}  // namespace tidewire::sim

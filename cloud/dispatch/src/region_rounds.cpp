// Dispatcher rounds: which waiting orders go through which policy, and the batch round.
// Every order belongs to the first region holding its pickup, else to the default policy
// (region.hpp). On each tick of the default interval the instant orders that found nobody
// are retried and, when the default policy is batch, the default batch round runs; each
// batch region runs its own round at its own interval. Rounds run one after another on
// the dispatch thread, so a rider offered an order in one round is not free in the next.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <tuple>

#include "bundle.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/dispatch/dispatcher.hpp"

namespace tidewire::dispatch {
namespace {

constexpr const char* kLog = "dispatch";

}  // namespace

void Dispatcher::run_rounds(bool default_due, const std::vector<size_t>& regions_due) {
  const size_t limit = options_.policy.max_orders_per_round;
  const size_t default_group = options_.regions.size();
  std::vector<bool> due(default_group + 1, false);
  for (size_t i : regions_due) due[i] = true;
  due[default_group] = default_due && options_.policy.kind == PolicyKind::kBatch;

  // Ids, not pointers: each round's offers change the book before the next round reads it.
  std::vector<std::vector<std::string>> batch(default_group + 1);
  std::vector<std::string> instant;
  for (const Order* o : book_->waiting()) {  // oldest first: each round takes its oldest
    auto r = region_of(options_.regions, o->pickup_lat, o->pickup_lon);
    size_t group = r ? *r : default_group;
    PolicyKind kind = r ? options_.regions[*r].kind : options_.policy.kind;
    if (kind == PolicyKind::kInstant) {
      if (default_due && instant.size() < limit) instant.push_back(o->order_id);
    } else if (due[group] && batch[group].size() < limit) {
      batch[group].push_back(o->order_id);
    }
  }
  for (size_t g = 0; g <= default_group; ++g) {
    if (!due[g]) continue;
    std::vector<const Order*> orders;
    for (const auto& id : batch[g]) {
      const Order* o = book_->find(id);
      if (o && o->state == OrderState::kCreated) orders.push_back(o);
    }
    const std::string name = g == default_group ? std::string("default") : options_.regions[g].name;
    metrics_.rounds(g).inc();
    run_batch_round(orders, name);
  }
  for (const auto& id : instant) {
    if (const Order* o = book_->find(id)) place_instant(*o);
  }
}

void Dispatcher::collect_bundle_riders(BundleRiders& out) {
  const int64_t fresh_since = clock_.wall_ms() - options_.rider_stale_ms;
  for (auto it = riders_holding_.begin(); it != riders_holding_.end();) {
    auto held = book_->orders_of_rider(*it);
    if (held.empty()) {  // delivered or cancelled since: no longer a bundle candidate
      it = riders_holding_.erase(it);
      continue;
    }
    const std::string& id = *it++;
    auto state = riders_.find(id);
    if (!state || state->reported_ms < fresh_since) continue;  // where is it?
    // The book is the truth for what was assigned; a terminal may carry more than the
    // book knows (its report says so), never less for long.
    int32_t load = std::max(static_cast<int32_t>(held.size()), state->load);
    if (load >= options_.policy.bundle_max_load) continue;
    if (book_->pending_offer_of_rider(id)) continue;  // one offer at a time
    out.add(BundleRider{id, state->position, std::move(held)});
  }
}

void Dispatcher::run_batch_round(const std::vector<const Order*>& orders, const std::string& region) {
  int64_t now = clock_.wall_ms();
  std::vector<const Order*> rows;
  std::vector<std::string> columns;
  std::map<std::string, int32_t> column_of;
  std::map<std::pair<int32_t, int32_t>, Plan> plans;
  AssignmentProblem problem;
  // Lateness an order has already accrued is in every one of its edges; adding it (twice)
  // to its waiting penalty too keeps it from being the one left out when riders are
  // scarce: the longer an order waited, the more leaving it out costs.
  auto accrued = [&](const Order& o) {
    double s =
        options_.policy.ready_weight * static_cast<double>(std::max<int64_t>(0, now - o.ready_ms)) / 1000.0 +
        options_.policy.promised_weight * static_cast<double>(std::max<int64_t>(0, now - o.promised_ms)) / 1000.0;
    return std::min<Cost>(2 * to_cost(s), kMaxCost - kWaitPenalty);
  };
  BundleRiders bundles(options_.policy.bundle_radius_m);
  if (options_.policy.bundle_max_load > 1) collect_bundle_riders(bundles);

  uint64_t postponed = 0;
  size_t bundle_edges = 0;
  for (const Order* o : orders) {
    if (o->ready_ms - now > options_.policy.postpone_ms) {
      ++postponed;
      continue;
    }
    auto row = static_cast<int32_t>(rows.size());
    bool any = false;
    auto add_edge = [&](const std::string& rider_id, const Plan& p) {
      auto [it, fresh] = column_of.emplace(rider_id, static_cast<int32_t>(columns.size()));
      if (fresh) columns.push_back(rider_id);
      problem.edges.push_back({row, it->second, std::min(to_cost(p.cost_s), kWaitPenalty - 1)});
      plans[{row, it->second}] = p;
      any = true;
    };
    for (const auto& c : free_candidates(*o)) {
      Plan p = plan_order(*o, c.position, now, *travel_, options_.policy);
      if (std::isfinite(p.cost_s)) add_edge(c.id, p);
    }
    // Riders already carrying an order are columns too: free riders hold nothing, so a
    // rider is never both, and the solver still gives each rider at most one order a round.
    for (const BundleRider* b : bundles.near({o->pickup_lat, o->pickup_lon}, options_.policy.candidates_per_order)) {
      if (o->excludes(b->id)) continue;
      if (auto p = plan_bundle(b->held, *o, b->position, now, *travel_, options_.policy)) {
        add_edge(b->id, *p);
        ++bundle_edges;
      }
    }
    if (any) rows.push_back(o);
  }
  metrics_.postponed.inc(postponed);
  if (rows.empty()) return;
  problem.orders = static_cast<int32_t>(rows.size());
  problem.riders = static_cast<int32_t>(columns.size());
  for (const Order* o : rows) problem.unassigned_penalty.push_back(kWaitPenalty + accrued(*o));

  auto started = std::chrono::steady_clock::now();
  auto solved = solve_exact(problem);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  metrics_.batch_solve_ms.observe(ms);
  if (!solved) {
    metrics_.batch_failures.inc();
    TW_WARN(kLog, "batch round (" << region << ") of " << rows.size() << " orders failed: " << solved.error().message);
    return;
  }
  // Offers go out after the solve: copy ids first, make_offer changes the book.
  std::vector<std::tuple<std::string, std::string, Plan>> decided;
  for (size_t r = 0; r < rows.size(); ++r) {
    int32_t col = solved->rider_of_order[r];
    if (col == kUnassigned) continue;
    decided.emplace_back(rows[r]->order_id, columns[static_cast<size_t>(col)], plans[{static_cast<int32_t>(r), col}]);
  }
  size_t made = 0;
  for (const auto& [order_id, rider_id, plan] : decided) {
    if (const Order* o = book_->find(order_id)) made += make_offer(rider_id, *o, plan) ? 1 : 0;
  }
  TW_DEBUG(kLog, "batch round (" << region << "): " << rows.size() << " orders x " << columns.size() << " riders ("
                                 << bundles.size() << " may bundle, " << bundle_edges << " bundle edges), " << made
                                 << " offers, " << postponed << " postponed, solve " << ms << " ms");
}

}  // namespace tidewire::dispatch

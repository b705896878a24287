#pragma once
// Batch assignment of open orders to candidate riders: one dispatch round.
//
// The problem is a sparse rectangular assignment. Rows are open orders, columns are riders,
// and an edge (order, rider, cost) exists only for the candidate riders the spatial index
// offered for that order. Every order may also stay unassigned at its own penalty: it then
// waits for the next round (not ready yet, or every candidate is too far or too late). The
// solvers minimise
//     sum of edge costs of assigned pairs + sum of penalties of unassigned orders
// with every rider taking at most one order per round. Bundling (a rider taking a second
// order while promised times still hold) is the caller's business: it offers that rider
// again as a second column with the bundled cost, so the solver never needs to know.
//
// Costs are integers so that "exact" is checkable to the unit: the dispatcher uses
// deciseconds (travel time to pickup + weighted lateness against ready and promised
// times), see assignment_instances.hpp for the shape. Integer costs also make the exact
// solver free of any epsilon or rounding argument.
//
// Pure domain code: no clock, no I/O, no threads; a round is a function call.
#include <cstdint>
#include <vector>

#include "tidewire/common/expected.hpp"

namespace tidewire::dispatch {

// Cost unit of the dispatcher: deciseconds (see the file comment).
using Cost = int64_t;

inline constexpr int32_t kUnassigned = -1;
// Bounds that keep every intermediate value of the solvers far inside int64: totals are at
// most kMaxOrders * kMaxCost (~1.1e18) and the exact solver's dual values stay within a few
// kMaxCost (argument in assignment_exact.cpp). 1e12 deciseconds is about 3,000 years.
inline constexpr Cost kMaxCost = 1'000'000'000'000;
inline constexpr int32_t kMaxOrders = 1 << 20;
inline constexpr int32_t kMaxRiders = 1 << 24;

struct CandidateEdge {
  int32_t order = 0;  // row, in [0, orders)
  int32_t rider = 0;  // column, in [0, riders)
  Cost cost = 0;      // in [0, kMaxCost]; a repeated (order, rider) pair counts at its cheapest
};

struct AssignmentProblem {
  int32_t orders = 0;
  int32_t riders = 0;
  // One per order: the cost of leaving it for the next round, in [0, kMaxCost]. An order
  // that must be assigned if at all possible gets a penalty above any edge cost.
  std::vector<Cost> unassigned_penalty;
  std::vector<CandidateEdge> edges;  // any order; riders without edges are allowed
};

// How much work a solve did; the bench reports it next to the time.
struct SolveStats {
  int64_t direct_matches = 0;   // orders matched by the initial cheapest-edge pass
  int64_t augmentations = 0;    // shortest augmenting path searches
  int64_t columns_scanned = 0;  // riders (and waiting options) settled by those searches
  int64_t edges_relaxed = 0;
};

struct Assignment {
  std::vector<int32_t> rider_of_order;  // one per order; kUnassigned = waits for next round
  Cost total_cost = 0;                  // assigned edge costs + unassigned penalties
  int32_t assigned = 0;                 // orders with a rider
  SolveStats stats;
};

// kInvalidArgument with the first thing wrong (counts, sizes, ranges) and what to fix.
Status validate(const AssignmentProblem& problem);

// Cost of a given assignment, after checking it is one: right size, each rider at most
// once, every pair is a candidate edge. Lets callers and tests check any solver's answer.
Expected<Cost> evaluate(const AssignmentProblem& problem, const std::vector<int32_t>& rider_of_order);

// Minimum total cost, exactly (shortest augmenting paths with integer dual values; the
// optimality argument is in assignment_exact.cpp). Fast on sparse instances: 5,000 orders
// x 20,000 riders with 40 candidates per order solves in ~10 ms on one core, ~100 ms when
// riders are scarce (5,000 x 2,500). Adversarial instances (every order contending for the
// same riders at equal cost) can approach orders x edges x log; that is the bound.
Expected<Assignment> solve_exact(const AssignmentProblem& problem);

// Nearest-first baseline: takes the globally cheapest remaining (order, rider) edge whose
// order and rider are both still free; an order whose penalty comes first waits. Ties are
// broken by order then rider index, so the result is deterministic. Not optimal: the bench
// reports how far it is from solve_exact.
Expected<Assignment> solve_greedy(const AssignmentProblem& problem);

}  // namespace tidewire::dispatch

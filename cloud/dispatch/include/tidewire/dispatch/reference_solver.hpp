#pragma once
// Independent exact reference for the assignment solvers: the same problem as a min-cost
// flow, solved by Boost Graph's successive_shortest_path_nonnegative_weights. It shares no
// code with solve_exact beyond validate()/evaluate(), so agreement on cost is evidence, not
// a tautology. Slow (a Dijkstra over the whole graph per order): tests and the bench use it
// on instances up to a few hundred orders x a few thousand riders.
//
// Lives in its own library (tw_dispatch_reference) so production code never links the
// Boost Graph templates.
#include "tidewire/dispatch/assignment.hpp"

namespace tidewire::dispatch {

// Network: source -> order (capacity 1, cost 0), order -> rider (1, edge cost),
// order -> sink (1, the order's penalty: "wait for the next round"), rider -> sink (1, 0).
// Every order can always reach the sink, so the maximum flow is `orders`, and the min-cost
// maximum flow is the optimal assignment. Returns it with its cost (checked by evaluate()).
//
// Boost keeps potentials in the weight type; this uses double, exact for the integers
// involved while all path sums stay below 2^53, so problems whose
// (orders + riders + 2) * max(cost, penalty) could exceed 2^50 are refused with
// kInvalidArgument rather than answered approximately.
Expected<Assignment> solve_reference_min_cost_flow(const AssignmentProblem& problem);

}  // namespace tidewire::dispatch

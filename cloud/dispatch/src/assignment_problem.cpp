// Checks on the problem and on answers, and the row layout both solvers share.
#include <limits>
#include <string>
#include <utility>

#include "assignment_rows.hpp"
#include "tidewire/dispatch/assignment.hpp"

namespace tidewire::dispatch {
namespace {

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, "assignment problem: " + std::move(message));
}

}  // namespace

Status validate(const AssignmentProblem& problem) {
  if (problem.orders < 0 || problem.orders > kMaxOrders) {
    return invalid("orders = " + std::to_string(problem.orders) + " is outside [0, " +
                   std::to_string(kMaxOrders) + "]; split the round by region");
  }
  if (problem.riders < 0 || problem.riders > kMaxRiders) {
    return invalid("riders = " + std::to_string(problem.riders) + " is outside [0, " +
                   std::to_string(kMaxRiders) + "]; split the round by region");
  }
  if (problem.unassigned_penalty.size() != static_cast<std::size_t>(problem.orders)) {
    return invalid("unassigned_penalty has " + std::to_string(problem.unassigned_penalty.size()) +
                   " entries for " + std::to_string(problem.orders) + " orders; give one per order");
  }
  for (std::size_t i = 0; i < problem.unassigned_penalty.size(); ++i) {
    const Cost p = problem.unassigned_penalty[i];
    if (p < 0 || p > kMaxCost) {
      return invalid("penalty of order " + std::to_string(i) + " = " + std::to_string(p) +
                     " is outside [0, " + std::to_string(kMaxCost) + "]");
    }
  }
  for (std::size_t e = 0; e < problem.edges.size(); ++e) {
    const CandidateEdge& edge = problem.edges[e];
    if (edge.order < 0 || edge.order >= problem.orders) {
      return invalid("edge " + std::to_string(e) + " names order " + std::to_string(edge.order) +
                     ", not in [0, " + std::to_string(problem.orders) + ")");
    }
    if (edge.rider < 0 || edge.rider >= problem.riders) {
      return invalid("edge " + std::to_string(e) + " names rider " + std::to_string(edge.rider) +
                     ", not in [0, " + std::to_string(problem.riders) + ")");
    }
    if (edge.cost < 0 || edge.cost > kMaxCost) {
      return invalid("edge " + std::to_string(e) + " costs " + std::to_string(edge.cost) +
                     ", outside [0, " + std::to_string(kMaxCost) + "]; clamp it or drop the edge");
    }
  }
  return {};
}

Expected<Cost> evaluate(const AssignmentProblem& problem, const std::vector<int32_t>& rider_of_order) {
  if (auto status = validate(problem); !status) return status.error();
  if (rider_of_order.size() != static_cast<std::size_t>(problem.orders)) {
    return invalid("answer has " + std::to_string(rider_of_order.size()) + " entries for " +
                   std::to_string(problem.orders) + " orders");
  }
  const detail::AssignmentRows rows = detail::build_rows(problem);
  std::vector<int32_t> order_of_rider(static_cast<std::size_t>(problem.riders), kUnassigned);
  Cost total = 0;
  for (int32_t i = 0; i < problem.orders; ++i) {
    const int32_t rider = rider_of_order[static_cast<std::size_t>(i)];
    if (rider == kUnassigned) {
      total += problem.unassigned_penalty[static_cast<std::size_t>(i)];
      continue;
    }
    if (rider < 0 || rider >= problem.riders) {
      return invalid("answer gives order " + std::to_string(i) + " rider " + std::to_string(rider) +
                     ", not a rider index");
    }
    int32_t& holder = order_of_rider[static_cast<std::size_t>(rider)];
    if (holder != kUnassigned) {
      return invalid("answer gives rider " + std::to_string(rider) + " to orders " +
                     std::to_string(holder) + " and " + std::to_string(i));
    }
    holder = i;
    Cost best = std::numeric_limits<Cost>::max();
    for (std::size_t e = rows.start[static_cast<std::size_t>(i)]; e < rows.start[static_cast<std::size_t>(i) + 1]; ++e) {
      if (rows.column[e] == rider && rows.cost[e] < best) best = rows.cost[e];
    }
    if (best == std::numeric_limits<Cost>::max()) {
      return invalid("answer gives order " + std::to_string(i) + " rider " + std::to_string(rider) +
                     ", which is not one of its candidates");
    }
    total += best;
  }
  return total;
}

namespace detail {

AssignmentRows build_rows(const AssignmentProblem& problem) {
  AssignmentRows rows;
  rows.orders = problem.orders;
  rows.riders = problem.riders;
  const auto n = static_cast<std::size_t>(problem.orders);
  // Counting sort by order; each row gets one extra slot for its waiting option.
  rows.start.assign(n + 1, 0);
  for (const CandidateEdge& edge : problem.edges) ++rows.start[static_cast<std::size_t>(edge.order) + 1];
  for (std::size_t i = 0; i < n; ++i) rows.start[i + 1] += rows.start[i] + 1;
  const std::size_t total = rows.start[n];
  rows.column.resize(total);
  rows.cost.resize(total);
  std::vector<std::size_t> next(rows.start.begin(), rows.start.end() - 1);
  for (const CandidateEdge& edge : problem.edges) {
    const std::size_t slot = next[static_cast<std::size_t>(edge.order)]++;
    rows.column[slot] = edge.rider;
    rows.cost[slot] = edge.cost;
  }
  for (std::size_t i = 0; i < n; ++i) {
    rows.column[next[i]] = problem.riders + static_cast<int32_t>(i);
    rows.cost[next[i]] = problem.unassigned_penalty[i];
  }
  return rows;
}

Assignment make_assignment(const AssignmentRows& rows, const std::vector<int32_t>& column_of_order,
                           const std::vector<Cost>& cost_of_order) {
  Assignment result;
  result.rider_of_order.assign(static_cast<std::size_t>(rows.orders), kUnassigned);
  for (std::size_t i = 0; i < column_of_order.size(); ++i) {
    const int32_t col = column_of_order[i];
    if (!rows.is_waiting(col)) {
      result.rider_of_order[i] = col;
      ++result.assigned;
    }
    result.total_cost += cost_of_order[i];
  }
  return result;
}

}  // namespace detail
}  // namespace tidewire::dispatch

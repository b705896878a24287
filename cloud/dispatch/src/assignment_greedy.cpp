// Nearest-first baseline: what a dispatcher does without a solver. Each order's waiting
// option sits in the same sorted list as its real edges, so an order whose penalty is
// cheaper than every still-free candidate waits, as it would under solve_exact.
#include <algorithm>
#include <numeric>

#include "assignment_rows.hpp"
#include "tidewire/dispatch/assignment.hpp"

namespace tidewire::dispatch {

Expected<Assignment> solve_greedy(const AssignmentProblem& problem) {
  if (auto status = validate(problem); !status) return status.error().with_context("solve_greedy");
  const detail::AssignmentRows rows = detail::build_rows(problem);

  // The row of each edge slot, so slots can be sorted globally.
  std::vector<int32_t> row_of_slot(rows.column.size());
  for (int32_t i = 0; i < rows.orders; ++i) {
    std::fill(row_of_slot.begin() + static_cast<std::ptrdiff_t>(rows.start[static_cast<std::size_t>(i)]),
              row_of_slot.begin() + static_cast<std::ptrdiff_t>(rows.start[static_cast<std::size_t>(i) + 1]), i);
  }
  std::vector<std::size_t> slots(rows.column.size());
  std::iota(slots.begin(), slots.end(), std::size_t{0});
  std::sort(slots.begin(), slots.end(), [&](std::size_t a, std::size_t b) {
    if (rows.cost[a] != rows.cost[b]) return rows.cost[a] < rows.cost[b];
    if (row_of_slot[a] != row_of_slot[b]) return row_of_slot[a] < row_of_slot[b];
    return rows.column[a] < rows.column[b];
  });

  std::vector<int32_t> column_of_order(static_cast<std::size_t>(rows.orders), kUnassigned);
  std::vector<Cost> cost_of_order(static_cast<std::size_t>(rows.orders), 0);
  std::vector<bool> column_taken(static_cast<std::size_t>(rows.columns()), false);
  int32_t open = rows.orders;
  for (std::size_t slot : slots) {
    if (open == 0) break;
    const auto row = static_cast<std::size_t>(row_of_slot[slot]);
    const int32_t col = rows.column[slot];
    if (column_of_order[row] != kUnassigned || column_taken[static_cast<std::size_t>(col)]) continue;
    column_of_order[row] = col;
    cost_of_order[row] = rows.cost[slot];
    column_taken[static_cast<std::size_t>(col)] = true;
    --open;
  }
  return detail::make_assignment(rows, column_of_order, cost_of_order);
}

}  // namespace tidewire::dispatch

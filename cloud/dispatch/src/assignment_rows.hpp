#pragma once
// Private to the assignment solvers: the problem's edges grouped by order (compressed
// rows), with each order's "wait for the next round" option appended as one more column
// that only this order can use. With that column every order always has a choice, so the
// solvers never need a feasibility special case.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tidewire/dispatch/assignment.hpp"

namespace tidewire::dispatch::detail {

struct AssignmentRows {
  int32_t orders = 0;
  int32_t riders = 0;
  // Edges of order i are [start[i], start[i + 1]); columns >= riders are waiting options
  // (column riders + i belongs to order i).
  std::vector<std::size_t> start;
  std::vector<int32_t> column;
  std::vector<Cost> cost;

  int32_t columns() const { return riders + orders; }
  bool is_waiting(int32_t col) const { return col >= riders; }
};

// Assumes validate(problem) passed.
AssignmentRows build_rows(const AssignmentProblem& problem);

// Turns per-order columns into the public answer: waiting columns become kUnassigned.
Assignment make_assignment(const AssignmentRows& rows, const std::vector<int32_t>& column_of_order,
                           const std::vector<Cost>& cost_of_order);

}  // namespace tidewire::dispatch::detail

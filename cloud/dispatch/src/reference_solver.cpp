// Min-cost flow reference on Boost Graph. Why double weights rather than int64: Boost adds
// every vertex's Dijkstra distance into its potential after each augmentation, and for a
// vertex that has become unreachable that distance is the type's max(); in int64 the second
// such addition overflows (undefined behaviour, flagged by the ubsan build). In double it
// saturates to +inf harmlessly: an unreachable vertex never becomes reachable again in
// successive shortest paths, so its potential is never read.
#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/successive_shortest_path_nonnegative_weights.hpp>
// After the algorithm header: find_flow_cost.hpp uses named parameters it does not include.
#include <boost/graph/find_flow_cost.hpp>
#include <exception>
#include <string>

#include "tidewire/dispatch/reference_solver.hpp"

namespace tidewire::dispatch {
namespace {

using Traits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
using FlowGraph = boost::adjacency_list<
    boost::vecS, boost::vecS, boost::directedS, boost::no_property,
    boost::property<boost::edge_capacity_t, long,
                    boost::property<boost::edge_residual_capacity_t, long,
                                    boost::property<boost::edge_reverse_t, Traits::edge_descriptor,
                                                    boost::property<boost::edge_weight_t, double>>>>>;
using Vertex = Traits::vertex_descriptor;

constexpr double kExactLimit = 1125899906842624.0;  // 2^50

// Adds `from -> to` with its zero-capacity reverse arc, as Boost's flow algorithms expect.
void add_arc(FlowGraph& g, Vertex from, Vertex to, Cost cost) {
  const auto forward = boost::add_edge(from, to, g).first;
  const auto backward = boost::add_edge(to, from, g).first;
  boost::put(boost::edge_capacity, g, forward, 1L);
  boost::put(boost::edge_capacity, g, backward, 0L);
  boost::put(boost::edge_weight, g, forward, static_cast<double>(cost));
  boost::put(boost::edge_weight, g, backward, -static_cast<double>(cost));
  boost::put(boost::edge_reverse, g, forward, backward);
  boost::put(boost::edge_reverse, g, backward, forward);
}

Expected<Assignment> solve_checked(const AssignmentProblem& problem) {
  Cost largest = 0;
  for (Cost p : problem.unassigned_penalty) largest = std::max(largest, p);
  for (const CandidateEdge& e : problem.edges) largest = std::max(largest, e.cost);
  const double vertices = static_cast<double>(problem.orders) + static_cast<double>(problem.riders) + 2.0;
  if (vertices * static_cast<double>(largest) > kExactLimit) {
    return make_error(ErrorCode::kInvalidArgument,
                      "reference solver: costs up to " + std::to_string(largest) + " on " +
                          std::to_string(problem.orders) + " x " + std::to_string(problem.riders) +
                          " could exceed exact double arithmetic; use a smaller instance");
  }

  // Vertices: 0 = source, 1 = sink, then orders, then riders.
  const auto orders = static_cast<Vertex>(problem.orders);
  const auto riders = static_cast<Vertex>(problem.riders);
  const Vertex source = 0;
  const Vertex sink = 1;
  auto order_vertex = [](int32_t i) { return static_cast<Vertex>(i) + 2; };
  auto rider_vertex = [orders](int32_t j) { return static_cast<Vertex>(j) + 2 + orders; };
  FlowGraph g(2 + orders + riders);
  for (int32_t i = 0; i < problem.orders; ++i) {
    add_arc(g, source, order_vertex(i), 0);
    add_arc(g, order_vertex(i), sink, problem.unassigned_penalty[static_cast<std::size_t>(i)]);
  }
  for (const CandidateEdge& e : problem.edges) add_arc(g, order_vertex(e.order), rider_vertex(e.rider), e.cost);
  for (int32_t j = 0; j < problem.riders; ++j) add_arc(g, rider_vertex(j), sink, 0);

  boost::successive_shortest_path_nonnegative_weights(g, source, sink);
  const auto capacity = boost::get(boost::edge_capacity, g);
  const auto residual = boost::get(boost::edge_residual_capacity, g);
  // The explicit-map overload: it returns the weight type (double), the short one the
  // capacity type (long).
  const double flow_cost = boost::find_flow_cost(g, capacity, residual, boost::get(boost::edge_weight, g));

  Assignment result;
  result.rider_of_order.assign(static_cast<std::size_t>(problem.orders), kUnassigned);
  for (int32_t i = 0; i < problem.orders; ++i) {
    for (const auto& e : boost::make_iterator_range(boost::out_edges(order_vertex(i), g))) {
      const Vertex to = boost::target(e, g);
      if (to < 2 + orders || capacity[e] != 1 || residual[e] != 0) continue;
      result.rider_of_order[static_cast<std::size_t>(i)] = static_cast<int32_t>(to - 2 - orders);
      ++result.assigned;
    }
  }
  auto checked = evaluate(problem, result.rider_of_order);
  if (!checked) return checked.error().with_context("reference solver produced an invalid assignment");
  result.total_cost = *checked;
  if (static_cast<double>(result.total_cost) != flow_cost) {
    return make_error(ErrorCode::kInternal, "reference solver: flow cost " + std::to_string(flow_cost) +
                                                " disagrees with its assignment's cost " +
                                                std::to_string(result.total_cost));
  }
  return result;
}

}  // namespace

Expected<Assignment> solve_reference_min_cost_flow(const AssignmentProblem& problem) {
  if (auto status = validate(problem); !status) return status.error().with_context("reference solver");
  try {
    return solve_checked(problem);
  } catch (const std::exception& e) {  // Boost Graph reports misuse (e.g. negative_edge) by throwing
    return make_error(ErrorCode::kInternal, std::string("reference solver: boost graph: ") + e.what());
  }
}

}  // namespace tidewire::dispatch

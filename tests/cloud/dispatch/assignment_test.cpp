// Assignment solvers: hand-made rounds with known answers, then generated rounds checked
// against two independent oracles (brute force on tiny rounds, Boost Graph min-cost flow on
// larger ones).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include "tidewire/dispatch/assignment.hpp"
#include "tidewire/dispatch/assignment_instances.hpp"
#include "tidewire/dispatch/reference_solver.hpp"

namespace tidewire::dispatch {
namespace {

AssignmentProblem make_problem(int32_t orders, int32_t riders, std::vector<Cost> penalties,
                               std::vector<CandidateEdge> edges) {
  AssignmentProblem p;
  p.orders = orders;
  p.riders = riders;
  p.unassigned_penalty = std::move(penalties);
  p.edges = std::move(edges);
  return p;
}

// The invariants every answer must meet, whatever solver produced it.
void expect_consistent(const AssignmentProblem& problem, const Assignment& answer) {
  ASSERT_EQ(answer.rider_of_order.size(), static_cast<std::size_t>(problem.orders));
  std::vector<int> uses(static_cast<std::size_t>(problem.riders), 0);
  int32_t assigned = 0;
  for (int32_t rider : answer.rider_of_order) {
    if (rider == kUnassigned) continue;
    ASSERT_GE(rider, 0);
    ASSERT_LT(rider, problem.riders);
    ++uses[static_cast<std::size_t>(rider)];
    ++assigned;
  }
  for (std::size_t r = 0; r < uses.size(); ++r) EXPECT_LE(uses[r], 1) << "rider " << r << " took two orders";
  EXPECT_EQ(answer.assigned, assigned);
  const auto cost = evaluate(problem, answer.rider_of_order);
  ASSERT_TRUE(cost.ok()) << cost.error().describe();
  EXPECT_EQ(*cost, answer.total_cost) << "reported total disagrees with the assignment";
}

Assignment exact(const AssignmentProblem& problem) {
  auto result = solve_exact(problem);
  EXPECT_TRUE(result.ok()) << result.error().describe();
  return result.ok() ? *result : Assignment{};
}

Assignment greedy(const AssignmentProblem& problem) {
  auto result = solve_greedy(problem);
  EXPECT_TRUE(result.ok()) << result.error().describe();
  return result.ok() ? *result : Assignment{};
}

// Exhaustive search: every order either waits or takes a free candidate. Tiny rounds only.
Cost brute_force(const AssignmentProblem& problem) {
  std::vector<std::vector<CandidateEdge>> by_order(static_cast<std::size_t>(problem.orders));
  for (const CandidateEdge& e : problem.edges) by_order[static_cast<std::size_t>(e.order)].push_back(e);
  std::vector<bool> used(static_cast<std::size_t>(problem.riders), false);
  std::function<Cost(std::size_t)> best_from = [&](std::size_t i) -> Cost {
    if (i == by_order.size()) return 0;
    Cost best = problem.unassigned_penalty[i] + best_from(i + 1);
    for (const CandidateEdge& e : by_order[i]) {
      const auto r = static_cast<std::size_t>(e.rider);
      if (used[r]) continue;
      used[r] = true;
      best = std::min(best, e.cost + best_from(i + 1));
      used[r] = false;
    }
    return best;
  };
  return best_from(0);
}

// Uniformly random sparse round; a small cost range makes ties and duplicate pairs common.
AssignmentProblem random_problem(uint32_t seed, int32_t orders, int32_t riders, int32_t degree, Cost max_cost,
                                 Cost max_penalty) {
  std::mt19937 gen(seed);
  AssignmentProblem p;
  p.orders = orders;
  p.riders = riders;
  for (int32_t i = 0; i < orders; ++i) {
    p.unassigned_penalty.push_back(std::uniform_int_distribution<Cost>(0, max_penalty)(gen));
    if (riders == 0) continue;
    const int32_t d = std::uniform_int_distribution<int32_t>(0, degree)(gen);
    for (int32_t k = 0; k < d; ++k) {
      p.edges.push_back({i, std::uniform_int_distribution<int32_t>(0, riders - 1)(gen),
                         std::uniform_int_distribution<Cost>(0, max_cost)(gen)});
    }
  }
  return p;
}

TEST(AssignmentHand, SingleOrderTakesCheaperRider) {
  const auto p = make_problem(1, 2, {100}, {{0, 0, 30}, {0, 1, 20}});
  const Assignment a = exact(p);
  expect_consistent(p, a);
  EXPECT_EQ(a.rider_of_order, std::vector<int32_t>{1});
  EXPECT_EQ(a.total_cost, 20);
}

TEST(AssignmentHand, ExactBeatsGreedyWhenNearestRiderIsContested) {
  // Greedy gives rider 0 to order 0 (cost 1) and leaves order 1 a far rider (100).
  const auto p = make_problem(2, 2, {1'000, 1'000}, {{0, 0, 1}, {0, 1, 2}, {1, 0, 2}, {1, 1, 100}});
  const Assignment e = exact(p);
  const Assignment g = greedy(p);
  expect_consistent(p, e);
  expect_consistent(p, g);
  EXPECT_EQ(e.rider_of_order, (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(e.total_cost, 4);
  EXPECT_EQ(g.rider_of_order, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(g.total_cost, 101);
}

TEST(AssignmentHand, OrderWithoutCandidatesWaitsAtItsPenalty) {
  const auto p = make_problem(2, 1, {70, 50}, {{0, 0, 10}});
  for (const Assignment& a : {exact(p), greedy(p)}) {
    expect_consistent(p, a);
    EXPECT_EQ(a.rider_of_order, (std::vector<int32_t>{0, kUnassigned}));
    EXPECT_EQ(a.total_cost, 60);
    EXPECT_EQ(a.assigned, 1);
  }
}

TEST(AssignmentHand, MoreOrdersThanRidersLeavesTheCheapestToWait) {
  // One rider, three orders: the rider goes where it saves the most against waiting.
  const auto p = make_problem(3, 1, {50, 500, 80}, {{0, 0, 10}, {1, 0, 40}, {2, 0, 5}});
  const Assignment a = exact(p);
  expect_consistent(p, a);
  EXPECT_EQ(a.rider_of_order, (std::vector<int32_t>{kUnassigned, 0, kUnassigned}));
  EXPECT_EQ(a.total_cost, 50 + 40 + 80);
  EXPECT_EQ(a.total_cost, brute_force(p));
}

TEST(AssignmentHand, PenaltyCheaperThanEveryEdgeMeansWait) {
  const auto p = make_problem(2, 3, {15, 0}, {{0, 0, 16}, {0, 1, 20}, {1, 2, 1}});
  for (const Assignment& a : {exact(p), greedy(p)}) {
    expect_consistent(p, a);
    EXPECT_EQ(a.rider_of_order, (std::vector<int32_t>{kUnassigned, kUnassigned}));
    EXPECT_EQ(a.total_cost, 15);
    EXPECT_EQ(a.assigned, 0);
  }
}

TEST(AssignmentHand, AllCostsTiedStillUsesEachRiderOnce) {
  std::vector<CandidateEdge> edges;
  for (int32_t i = 0; i < 4; ++i) {
    for (int32_t j = 0; j < 4; ++j) edges.push_back({i, j, 7});
  }
  const auto p = make_problem(4, 4, {7, 7, 7, 7}, edges);
  const Assignment a = exact(p);
  expect_consistent(p, a);
  EXPECT_EQ(a.total_cost, 28);
}

TEST(AssignmentHand, RepeatedPairCountsAtItsCheapest) {
  const auto p = make_problem(1, 1, {100}, {{0, 0, 40}, {0, 0, 25}, {0, 0, 60}});
  for (const Assignment& a : {exact(p), greedy(p)}) {
    expect_consistent(p, a);
    EXPECT_EQ(a.total_cost, 25);
  }
}

TEST(AssignmentHand, LongAugmentingChainIsFound) {
  // Orders 0..3 each take rider i (cost 1) first and can fall back to rider i+1 (cost 2);
  // order 4 only fits rider 0, so every other order must shift by one along the chain.
  // Exact total 4 * 2 + 1 = 9, against 4 + 100 if order 4 waited.
  std::vector<CandidateEdge> edges;
  for (int32_t i = 0; i < 4; ++i) {
    edges.push_back({i, i, 1});
    edges.push_back({i, i + 1, 2});
  }
  edges.push_back({4, 0, 1});
  const auto p = make_problem(5, 5, {100, 100, 100, 100, 100}, edges);
  const Assignment a = exact(p);
  expect_consistent(p, a);
  EXPECT_EQ(a.rider_of_order, (std::vector<int32_t>{1, 2, 3, 4, 0}));
  EXPECT_EQ(a.total_cost, 9);
  EXPECT_EQ(a.total_cost, brute_force(p));
}

TEST(AssignmentHand, EmptyRounds) {
  const auto none = make_problem(0, 5, {}, {});
  EXPECT_EQ(exact(none).total_cost, 0);
  EXPECT_TRUE(exact(none).rider_of_order.empty());
  const auto no_riders = make_problem(2, 0, {3, 4}, {});
  const Assignment a = exact(no_riders);
  expect_consistent(no_riders, a);
  EXPECT_EQ(a.total_cost, 7);
}

TEST(AssignmentValidation, BadInputIsRejectedWithAReason) {
  const std::vector<AssignmentProblem> bad = {
      make_problem(1, 1, {}, {}),                          // penalty missing
      make_problem(1, 1, {-1}, {}),                        // negative penalty
      make_problem(1, 1, {5}, {{0, 1, 3}}),                // rider out of range
      make_problem(1, 1, {5}, {{1, 0, 3}}),                // order out of range
      make_problem(1, 1, {5}, {{0, 0, -3}}),               // negative cost
      make_problem(1, 1, {5}, {{0, 0, kMaxCost + 1}}),     // cost too large
      make_problem(-1, 1, {}, {}),                         // negative count
  };
  for (const AssignmentProblem& p : bad) {
    EXPECT_FALSE(validate(p).ok());
    const auto e = solve_exact(p);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
    EXPECT_FALSE(solve_greedy(p).ok());
    EXPECT_FALSE(solve_reference_min_cost_flow(p).ok());
  }
}

TEST(AssignmentValidation, EvaluateRejectsAnswersThatAreNotAssignments) {
  const auto p = make_problem(2, 2, {9, 9}, {{0, 0, 1}, {1, 0, 1}, {1, 1, 5}});
  EXPECT_EQ(*evaluate(p, {0, 1}), 6);
  EXPECT_EQ(*evaluate(p, {kUnassigned, 0}), 10);
  EXPECT_FALSE(evaluate(p, {0, 0}).ok());       // rider twice
  EXPECT_FALSE(evaluate(p, {1, kUnassigned}).ok());  // not a candidate
  EXPECT_FALSE(evaluate(p, {0}).ok());          // wrong size
  EXPECT_FALSE(evaluate(p, {0, 7}).ok());       // not a rider
}

TEST(AssignmentValidation, ReferenceRefusesCostsBeyondExactDoubles) {
  // (1 + 2000 + 2) vertices x 1e12 > 2^50: path sums could leave the exact doubles.
  const auto p = make_problem(1, 2'000, {kMaxCost}, {{0, 0, kMaxCost}});
  const auto r = solve_reference_min_cost_flow(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  // The production solver has no such limit.
  EXPECT_EQ(exact(p).total_cost, kMaxCost);
}

TEST(AssignmentRandom, TinyRoundsMatchBruteForce) {
  for (uint32_t seed = 1; seed <= 400; ++seed) {
    const int32_t orders = 1 + static_cast<int32_t>(seed % 6);
    const int32_t riders = static_cast<int32_t>(seed % 5);
    const auto p = random_problem(seed, orders, riders, 4, 6, 12);
    const Assignment e = exact(p);
    const Assignment g = greedy(p);
    expect_consistent(p, e);
    expect_consistent(p, g);
    ASSERT_EQ(e.total_cost, brute_force(p)) << "seed " << seed;
    EXPECT_GE(g.total_cost, e.total_cost);
  }
}

struct RandomCase {
  uint32_t seed;
  int32_t orders;
  int32_t riders;
  int32_t degree;
  Cost max_cost;
  Cost max_penalty;
};

class AssignmentVsReference : public ::testing::TestWithParam<RandomCase> {};

TEST_P(AssignmentVsReference, ExactEqualsMinCostFlowAndBeatsGreedy) {
  const RandomCase c = GetParam();
  const auto p = random_problem(c.seed, c.orders, c.riders, c.degree, c.max_cost, c.max_penalty);
  const Assignment e = exact(p);
  const Assignment g = greedy(p);
  const auto r = solve_reference_min_cost_flow(p);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  expect_consistent(p, e);
  expect_consistent(p, g);
  expect_consistent(p, *r);
  EXPECT_EQ(e.total_cost, r->total_cost);
  EXPECT_GE(g.total_cost, e.total_cost);
}

INSTANTIATE_TEST_SUITE_P(Sizes, AssignmentVsReference,
                         ::testing::Values(RandomCase{1, 20, 20, 5, 10, 30},       // ties everywhere
                                           RandomCase{2, 60, 20, 8, 100, 150},     // riders scarce
                                           RandomCase{3, 50, 200, 10, 1'000, 800}, // riders plentiful
                                           RandomCase{4, 120, 120, 3, 50, 60},     // very sparse
                                           RandomCase{5, 200, 600, 15, 10'000, 5'000},
                                           RandomCase{6, 150, 150, 12, 3, 4}));    // tiny costs, near-ties

class GeneratedVsReference : public ::testing::TestWithParam<InstanceSpec> {};

TEST_P(GeneratedVsReference, ExactEqualsMinCostFlowAndBeatsGreedy) {
  const auto p = generate_instance(GetParam());
  ASSERT_TRUE(p.ok()) << p.error().describe();
  const Assignment e = exact(*p);
  const Assignment g = greedy(*p);
  const auto r = solve_reference_min_cost_flow(*p);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  expect_consistent(*p, e);
  expect_consistent(*p, g);
  EXPECT_EQ(e.total_cost, r->total_cost);
  EXPECT_GE(g.total_cost, e.total_cost);
}

InstanceSpec spec(uint64_t seed, int32_t orders, int32_t riders, int32_t candidates) {
  InstanceSpec s;
  s.seed = seed;
  s.orders = orders;
  s.riders = riders;
  s.candidates_per_order = candidates;
  return s;
}

INSTANTIATE_TEST_SUITE_P(Cities, GeneratedVsReference,
                         ::testing::Values(spec(11, 100, 400, 20), spec(12, 300, 1'200, 25),
                                           spec(13, 200, 100, 30),  // lunch peak: fewer riders
                                           spec(14, 250, 2'000, 40)));

TEST(AssignmentInstances, SameSeedSameRoundAndCandidatesAreBounded) {
  const InstanceSpec s = spec(7, 500, 2'000, 30);
  const auto a = generate_instance(s);
  const auto b = generate_instance(s);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(validate(*a).ok());
  ASSERT_EQ(a->edges.size(), b->edges.size());
  EXPECT_EQ(a->edges.size(), 500u * 30u);  // enough riders: every order gets its k nearest
  for (std::size_t e = 0; e < a->edges.size(); ++e) {
    EXPECT_EQ(a->edges[e].rider, b->edges[e].rider);
    EXPECT_EQ(a->edges[e].cost, b->edges[e].cost);
  }
  EXPECT_EQ(a->unassigned_penalty, b->unassigned_penalty);
  const auto c = generate_instance(spec(8, 500, 2'000, 30));
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->unassigned_penalty, c->unassigned_penalty);
}

TEST(AssignmentInstances, CandidatesAreTheNearestRiders) {
  // Same seed, so the same city: with every rider offered, an order's list is all riders
  // nearest first, and its 10-candidate list must be exactly the first 10 of it.
  InstanceSpec few = spec(21, 30, 300, 10);
  InstanceSpec all = spec(21, 30, 300, 300);
  const auto a = generate_instance(few);
  const auto b = generate_instance(all);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(b->edges.size(), 30u * 300u);
  for (int32_t i = 0; i < 30; ++i) {
    for (int32_t k = 0; k < 10; ++k) {
      EXPECT_EQ(a->edges[static_cast<std::size_t>(i * 10 + k)].rider,
                b->edges[static_cast<std::size_t>(i * 300 + k)].rider)
          << "order " << i << " candidate " << k;
    }
  }
}

TEST(AssignmentInstances, FewerRidersThanCandidatesOffersThemAll) {
  const auto p = generate_instance(spec(3, 10, 4, 30));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->edges.size(), 40u);
  InstanceSpec bad = spec(3, -1, 4, 30);
  EXPECT_FALSE(generate_instance(bad).ok());
}

TEST(AssignmentLarge, FullSizeRoundIsValidAndNoWorseThanGreedy) {
  // The bench size; the time is reported by the bench, not asserted here.
  const auto p = generate_instance(spec(99, 5'000, 20'000, 40));
  ASSERT_TRUE(p.ok());
  const Assignment e = exact(*p);
  const Assignment g = greedy(*p);
  expect_consistent(*p, e);
  expect_consistent(*p, g);
  EXPECT_LE(e.total_cost, g.total_cost);
  EXPECT_GT(e.assigned, 0);
}

}  // namespace
}  // namespace tidewire::dispatch

#include "tidewire/dispatch/rider_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "tidewire/common/random.hpp"
#include "tidewire/dispatch/synthetic_city.hpp"

namespace tidewire::dispatch {
namespace {

// What the index should hold, answered by scanning every rider.
class BruteForce {
 public:
  void upsert(const std::string& id, LatLon p, bool available, int64_t ms) {
    auto [it, fresh] = riders_.try_emplace(id, RiderState{p, available, ms, 0});
    if (!fresh && ms >= it->second.reported_ms) {
      it->second.position = p;
      it->second.available = available;
      it->second.reported_ms = ms;
    }
  }
  void remove(const std::string& id) { riders_.erase(id); }
  RiderState& at(const std::string& id) { return riders_.at(id); }
  const std::map<std::string, RiderState>& riders() const { return riders_; }

  std::vector<RiderCandidate> candidates(LatLon point, double radius, size_t max_count,
                                         const CandidateFilter& filter = {}) const {
    std::vector<RiderCandidate> out;
    for (const auto& [id, r] : riders_) {
      if (!r.available || r.reported_ms < filter.reported_since_ms || r.load > filter.max_load) continue;
      if (std::find(filter.exclude.begin(), filter.exclude.end(), id) != filter.exclude.end()) continue;
      const double d = haversine_m(point, r.position);
      if (d <= radius) out.push_back({id, d, r.position, r.load});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.distance_m < b.distance_m || (a.distance_m == b.distance_m && a.id < b.id);
    });
    if (out.size() > max_count) out.resize(max_count);
    return out;
  }

 private:
  std::map<std::string, RiderState> riders_;
};

std::string describe(const std::vector<RiderCandidate>& v) {
  std::string s;
  for (const auto& c : v) s += c.id + "@" + std::to_string(c.distance_m) + " ";
  return s;
}

void expect_same(const std::vector<RiderCandidate>& got, const std::vector<RiderCandidate>& want,
                 const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what << "\n got:  " << describe(got) << "\n want: " << describe(want);
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].id, want[i].id) << what << " at " << i << "\n got:  " << describe(got)
                                     << "\n want: " << describe(want);
    ASSERT_EQ(got[i].distance_m, want[i].distance_m) << what << " at " << i;  // same bits as haversine_m
    ASSERT_EQ(got[i].position, want[i].position) << what;
    ASSERT_EQ(got[i].load, want[i].load) << what;
  }
}

struct Scenario {
  const char* name;
  CityArea city;
  double cell_size_m;
};

// Readable ctest names instead of a byte dump (which holds a pointer).
void PrintTo(const Scenario& scenario, std::ostream* os) {
  *os << scenario.name;
}

class RiderIndexVsBruteForce : public ::testing::TestWithParam<Scenario> {};

// Random riders, random queries with random filters, then random moves, toggles and
// removals, and the queries again: the index must answer exactly like a full scan.
TEST_P(RiderIndexVsBruteForce, SameAnswers) {
  const Scenario& sc = GetParam();
  SeededRandom random(0x5eed);
  RiderIndex index({.cell_size_m = sc.cell_size_m, .max_radius_m = 60'000});
  BruteForce truth;
  const size_t kRiders = 3'000;
  std::vector<std::string> ids;
  for (size_t i = 0; i < kRiders; ++i) {
    ids.push_back("r" + std::to_string(i));
    const LatLon p = random_point_within(random, sc.city.centre, sc.city.radius_m);
    const bool available = random.unit() < 0.7;
    const auto ms = static_cast<int64_t>(random.uniform(0, 1000));
    ASSERT_TRUE(index.upsert(ids.back(), p, available, ms).ok());
    truth.upsert(ids.back(), p, available, ms);
    const auto load = static_cast<int32_t>(random.uniform(0, 3));
    ASSERT_TRUE(index.set_load(ids.back(), load).ok());
    truth.at(ids.back()).load = load;
  }

  const double radii[] = {150, 600, 2'500, 9'000, 35'000, 60'000, 1e9};
  const size_t counts[] = {1, 3, 10, 50, std::numeric_limits<size_t>::max()};
  for (int round = 0; round < 4; ++round) {
    for (int q = 0; q < 150; ++q) {
      // Some queries from outside the city too: the index must search outward from there.
      const LatLon point = random_point_within(random, sc.city.centre, sc.city.radius_m * 1.5);
      const double radius = radii[random.uniform(0, std::size(radii) - 1)];
      const size_t count = counts[random.uniform(0, std::size(counts) - 1)];
      std::vector<std::string> exclude;
      CandidateFilter filter;
      if (random.unit() < 0.3) {
        for (int e = 0; e < 5; ++e) exclude.push_back(ids[random.uniform(0, ids.size() - 1)]);
        exclude.push_back("nobody-by-that-name");
        filter.exclude = exclude;
      }
      if (random.unit() < 0.3) filter.reported_since_ms = static_cast<int64_t>(random.uniform(0, 1000));
      if (random.unit() < 0.3) filter.max_load = static_cast<int32_t>(random.uniform(0, 2));
      const std::string what = std::string(sc.name) + " round " + std::to_string(round) + " query " +
                               std::to_string(q) + " radius " + std::to_string(radius) + " count " +
                               std::to_string(count);
      expect_same(index.candidates(point, radius, count, filter),
                  truth.candidates(point, std::min(radius, 60'000.0), count, filter), what);
      if (q % 10 == 0) expect_same(index.nearest(point, 5, filter), truth.candidates(point, 60'000, 5, filter), what);
    }
    // Churn: moves (short and long), toggles, out-of-order reports, removals, re-adds.
    for (int m = 0; m < 1'500; ++m) {
      const std::string& id = ids[random.uniform(0, ids.size() - 1)];
      const double action = random.unit();
      const auto ms = static_cast<int64_t>(1000 + round * 1000 + random.uniform(0, 999));
      if (action < 0.6) {
        LatLon p = random_point_within(random, sc.city.centre, sc.city.radius_m);
        const bool available = random.unit() < 0.7;
        if (truth.riders().count(id) == 0 || action < 0.55) {
          ASSERT_TRUE(index.upsert(id, p, available, ms).ok());
          truth.upsert(id, p, available, ms);
        } else {
          ASSERT_TRUE(index.upsert(id, p, available, 0).ok());  // late duplicate: ignored
          truth.upsert(id, p, available, 0);
        }
      } else if (action < 0.8) {
        if (truth.riders().count(id) == 0) continue;
        const bool available = random.unit() < 0.5;
        ASSERT_TRUE(index.set_available(id, available).ok());
        truth.at(id).available = available;
      } else if (truth.riders().count(id) != 0) {
        ASSERT_TRUE(index.remove(id).ok());
        truth.remove(id);
      }
    }
    ASSERT_EQ(index.size(), truth.riders().size());
    size_t available = 0;
    for (const auto& [id, r] : truth.riders()) available += r.available ? 1 : 0;
    ASSERT_EQ(index.available_count(), available);
  }
}

INSTANTIATE_TEST_SUITE_P(Cities, RiderIndexVsBruteForce,
                         ::testing::Values(Scenario{"shanghai_500m", {{31.2304, 121.4737}, 15'000}, 500},
                                           Scenario{"shanghai_50m", {{31.2304, 121.4737}, 4'000}, 50},
                                           Scenario{"shanghai_5km", {{31.2304, 121.4737}, 25'000}, 5'000},
                                           Scenario{"fiji_antimeridian", {{-17.0, 180.0}, 20'000}, 500},
                                           Scenario{"equator_antimeridian", {{0.0, -179.95}, 15'000}, 300},
                                           Scenario{"svalbard", {{78.2232, 15.6267}, 20'000}, 500},
                                           Scenario{"north_pole", {{89.9, 0.0}, 25'000}, 500},
                                           Scenario{"south_pole", {{-89.95, 120.0}, 15'000}, 1'000}),
                         [](const auto& scenario) { return std::string(scenario.param.name); });

const LatLon kSquare{31.2304, 121.4737};

std::vector<std::string> ids_of(const std::vector<RiderCandidate>& v) {
  std::vector<std::string> out;
  for (const auto& c : v) out.push_back(c.id);
  return out;
}

TEST(RiderIndex, NearestFirstWithDistances) {
  RiderIndex index;
  ASSERT_TRUE(index.upsert("far", offset_m(kSquare, 0, 2'000), true, 1).ok());
  ASSERT_TRUE(index.upsert("near", offset_m(kSquare, 300, 0), true, 1).ok());
  ASSERT_TRUE(index.upsert("mid", offset_m(kSquare, -900, 0), true, 1).ok());
  const auto got = index.candidates(kSquare, 5'000, 10);
  ASSERT_EQ(ids_of(got), (std::vector<std::string>{"near", "mid", "far"}));
  EXPECT_NEAR(got[0].distance_m, 300, 0.1);
  EXPECT_NEAR(got[1].distance_m, 900, 0.1);
  EXPECT_NEAR(got[2].distance_m, 2'000, 1.0);
  EXPECT_EQ(got[0].distance_m, haversine_m(kSquare, got[0].position));
  EXPECT_EQ(ids_of(index.candidates(kSquare, 1'000, 10)), (std::vector<std::string>{"near", "mid"}));
  EXPECT_EQ(ids_of(index.candidates(kSquare, 5'000, 2)), (std::vector<std::string>{"near", "mid"}));
}

TEST(RiderIndex, EqualDistancesOrderedById) {
  RiderIndex index;
  for (const char* id : {"d", "b", "e", "a", "c"}) ASSERT_TRUE(index.upsert(id, kSquare, true, 1).ok());
  EXPECT_EQ(ids_of(index.candidates(kSquare, 100, 3)), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(ids_of(index.nearest(offset_m(kSquare, 50, 50), 5)), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
}

TEST(RiderIndex, ExclusionList) {
  RiderIndex index;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(index.upsert("r" + std::to_string(i), offset_m(kSquare, 100.0 * (i + 1), 0), true, 1).ok());
  }
  const std::vector<std::string> declined{"r0", "r2", "ghost"};
  EXPECT_EQ(ids_of(index.candidates(kSquare, 1'000, 2, {.exclude = declined})), (std::vector<std::string>{"r1", "r3"}));
  // Excluding everyone leaves nothing, without scanning forever.
  const std::vector<std::string> everyone{"r0", "r1", "r2", "r3", "r4"};
  EXPECT_TRUE(index.nearest(kSquare, 3, {.exclude = everyone}).empty());
}

TEST(RiderIndex, AvailabilityToggle) {
  RiderIndex index;
  ASSERT_TRUE(index.upsert("busy", kSquare, false, 1).ok());
  ASSERT_TRUE(index.upsert("free", offset_m(kSquare, 500, 0), true, 1).ok());
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.available_count(), 1u);
  EXPECT_EQ(ids_of(index.nearest(kSquare, 5)), (std::vector<std::string>{"free"}));

  ASSERT_TRUE(index.set_available("busy", true).ok());
  ASSERT_TRUE(index.set_available("free", false).ok());
  ASSERT_TRUE(index.set_available("free", false).ok());  // idempotent
  EXPECT_EQ(index.available_count(), 1u);
  EXPECT_EQ(ids_of(index.nearest(kSquare, 5)), (std::vector<std::string>{"busy"}));
  EXPECT_FALSE(index.find("free")->available);
  EXPECT_TRUE(index.find("busy")->available);

  // A report can also change availability.
  ASSERT_TRUE(index.upsert("busy", kSquare, false, 2).ok());
  EXPECT_TRUE(index.nearest(kSquare, 5).empty());
  EXPECT_EQ(index.occupied_cells(), 0u);
  EXPECT_EQ(index.set_available("ghost", true).error().code, ErrorCode::kNotFound);
}

TEST(RiderIndex, MovesBetweenCells) {
  RiderIndex index({.cell_size_m = 500});
  ASSERT_TRUE(index.upsert("a", kSquare, true, 1).ok());
  ASSERT_TRUE(index.upsert("b", kSquare, true, 1).ok());
  EXPECT_EQ(index.occupied_cells(), 1u);
  const LatLon away = offset_m(kSquare, 3'000, 3'000);
  ASSERT_TRUE(index.upsert("a", away, true, 2).ok());
  EXPECT_EQ(index.stats().cell_moves, 1u);
  EXPECT_EQ(index.occupied_cells(), 2u);
  EXPECT_EQ(ids_of(index.candidates(kSquare, 1'000, 5)), (std::vector<std::string>{"b"}));
  EXPECT_EQ(ids_of(index.candidates(away, 1'000, 5)), (std::vector<std::string>{"a"}));
  EXPECT_EQ(index.find("a")->position, away);
  // A small move inside the cell is not a cell move but still updates the position.
  const LatLon nudge = offset_m(away, 1, 1);
  ASSERT_TRUE(index.upsert("a", nudge, true, 3).ok());
  EXPECT_EQ(index.stats().cell_moves, 1u);
  EXPECT_EQ(index.candidates(away, 1'000, 5).at(0).position, nudge);
  // The last rider leaving a cell frees it.
  ASSERT_TRUE(index.upsert("b", away, true, 2).ok());
  EXPECT_EQ(index.occupied_cells(), 1u);
}

TEST(RiderIndex, RemoveAndReuse) {
  RiderIndex index;
  ASSERT_TRUE(index.upsert("a", kSquare, true, 1).ok());
  ASSERT_TRUE(index.upsert("b", kSquare, true, 1).ok());
  ASSERT_TRUE(index.remove("a").ok());
  EXPECT_EQ(index.remove("a").error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(index.find("a").has_value());
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(ids_of(index.nearest(kSquare, 5)), (std::vector<std::string>{"b"}));
  // A returning rider starts afresh: an old timestamp is accepted.
  ASSERT_TRUE(index.upsert("c", offset_m(kSquare, 10, 0), true, 0).ok());
  ASSERT_TRUE(index.upsert("a", offset_m(kSquare, 20, 0), true, 0).ok());
  EXPECT_EQ(ids_of(index.nearest(kSquare, 5)), (std::vector<std::string>{"b", "c", "a"}));
  EXPECT_EQ(index.size(), 3u);
  EXPECT_EQ(index.stats().removed, 1u);
}

TEST(RiderIndex, OutOfOrderReportIgnored) {
  RiderIndex index;
  ASSERT_TRUE(index.upsert("a", kSquare, true, 100).ok());
  const LatLon older = offset_m(kSquare, 5'000, 0);
  ASSERT_TRUE(index.upsert("a", older, false, 99).ok());
  EXPECT_EQ(index.find("a")->position, kSquare);
  EXPECT_TRUE(index.find("a")->available);
  EXPECT_EQ(index.find("a")->reported_ms, 100);
  EXPECT_EQ(index.stats().reports_out_of_order, 1u);
  EXPECT_EQ(index.stats().reports_applied, 1u);
}

TEST(RiderIndex, Staleness) {
  RiderIndex index;
  ASSERT_TRUE(index.upsert("old", kSquare, true, 1'000).ok());
  ASSERT_TRUE(index.upsert("fresh", offset_m(kSquare, 800, 0), true, 60'000).ok());
  EXPECT_EQ(ids_of(index.nearest(kSquare, 5, {.reported_since_ms = 30'000})), (std::vector<std::string>{"fresh"}));
  EXPECT_EQ(ids_of(index.nearest(kSquare, 5)), (std::vector<std::string>{"old", "fresh"}));
  EXPECT_EQ(index.remove_stale(30'000), 1u);
  EXPECT_FALSE(index.find("old").has_value());
  EXPECT_EQ(index.available_count(), 1u);
  EXPECT_EQ(index.remove_stale(30'000), 0u);
}

TEST(RiderIndex, LoadFilter) {
  RiderIndex index;
  ASSERT_TRUE(index.upsert("two", kSquare, true, 1).ok());
  ASSERT_TRUE(index.upsert("none", offset_m(kSquare, 400, 0), true, 1).ok());
  ASSERT_TRUE(index.set_load("two", 2).ok());
  EXPECT_EQ(index.find("two")->load, 2);
  EXPECT_EQ(ids_of(index.nearest(kSquare, 5, {.max_load = 1})), (std::vector<std::string>{"none"}));
  EXPECT_EQ(index.nearest(kSquare, 1).at(0).load, 2);
  EXPECT_EQ(index.set_load("ghost", 1).error().code, ErrorCode::kNotFound);
}

TEST(RiderIndex, DegenerateQueriesAreEmpty) {
  RiderIndex index;
  EXPECT_TRUE(index.nearest(kSquare, 5).empty());  // empty index
  ASSERT_TRUE(index.upsert("a", kSquare, true, 1).ok());
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(index.candidates(kSquare, 0, 5).empty());
  EXPECT_TRUE(index.candidates(kSquare, -10, 5).empty());
  EXPECT_TRUE(index.candidates(kSquare, kNaN, 5).empty());
  EXPECT_TRUE(index.candidates(kSquare, 1'000, 0).empty());
  EXPECT_TRUE(index.candidates({91, 0}, 1'000, 5).empty());
  EXPECT_TRUE(index.candidates({kNaN, 0}, 1'000, 5).empty());
  EXPECT_TRUE(index.nearest({0, 1e300}, 5).empty());
  // An infinite radius is capped, not refused.
  EXPECT_EQ(index.candidates(kSquare, std::numeric_limits<double>::infinity(), 5).size(), 1u);
  EXPECT_EQ(index.candidates(kSquare, 1e-9, 5).size(), 1u);  // exactly at the point
}

TEST(RiderIndex, BadReportsRefusedAndCounted) {
  RiderIndex index;
  const Status bad_lat = index.upsert("a", {95, 0}, true, 1);
  ASSERT_FALSE(bad_lat.ok());
  EXPECT_EQ(bad_lat.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad_lat.error().message.find("rider a"), std::string::npos) << bad_lat.error().message;
  EXPECT_FALSE(index.upsert("", kSquare, true, 1).ok());
  EXPECT_FALSE(index.upsert(std::string(kMaxRiderIdBytes + 1, 'x'), kSquare, true, 1).ok());
  EXPECT_TRUE(index.upsert(std::string(kMaxRiderIdBytes, 'x'), kSquare, true, 1).ok());
  EXPECT_EQ(index.stats().rejected_invalid, 3u);
  EXPECT_EQ(index.size(), 1u);
  // A bad report for a known rider leaves it where it was.
  ASSERT_TRUE(index.upsert("b", kSquare, true, 1).ok());
  EXPECT_FALSE(index.upsert("b", {0, std::numeric_limits<double>::infinity()}, true, 2).ok());
  EXPECT_EQ(index.find("b")->position, kSquare);
  EXPECT_EQ(index.find("b")->reported_ms, 1);
}

TEST(RiderIndex, BoundedRiderCount) {
  RiderIndex index({.max_riders = 2});
  ASSERT_TRUE(index.upsert("a", kSquare, true, 1).ok());
  ASSERT_TRUE(index.upsert("b", kSquare, true, 1).ok());
  const Status full = index.upsert("c", kSquare, true, 1);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(index.stats().rejected_full, 1u);
  EXPECT_TRUE(index.upsert("a", offset_m(kSquare, 10, 0), true, 2).ok());  // known riders still move
  ASSERT_TRUE(index.remove("b").ok());
  EXPECT_TRUE(index.upsert("c", kSquare, true, 1).ok());
  EXPECT_EQ(index.size(), 2u);
}

TEST(RiderIndex, NearestStopsAtTheCap) {
  RiderIndex index({.cell_size_m = 500, .max_radius_m = 10'000});
  ASSERT_TRUE(index.upsert("inside", offset_m(kSquare, 9'000, 0), true, 1).ok());
  ASSERT_TRUE(index.upsert("outside", offset_m(kSquare, -11'000, 0), true, 1).ok());
  EXPECT_EQ(ids_of(index.nearest(kSquare, 5)), (std::vector<std::string>{"inside"}));
  EXPECT_EQ(ids_of(index.candidates(kSquare, 50'000, 5)), (std::vector<std::string>{"inside"}));
}

TEST(RiderIndex, NeighboursAcrossTheAntimeridian) {
  RiderIndex index;
  ASSERT_TRUE(index.upsert("west", {0, -179.999}, true, 1).ok());
  ASSERT_TRUE(index.upsert("east", {0, 179.9985}, true, 1).ok());
  ASSERT_TRUE(index.upsert("edge", {0, 180}, true, 1).ok());
  const auto got = index.candidates({0, 179.999}, 500, 5);
  ASSERT_EQ(ids_of(got), (std::vector<std::string>{"east", "edge", "west"}));
  EXPECT_NEAR(got[2].distance_m, 0.002 * kMetresPerDegree, 1e-3);
  EXPECT_EQ(ids_of(index.candidates({0, -180}, 200, 5)), (std::vector<std::string>{"edge", "west", "east"}));
}

TEST(RiderIndex, AtThePoles) {
  RiderIndex index;
  ASSERT_TRUE(index.upsert("pole", {90, 0}, true, 1).ok());
  ASSERT_TRUE(index.upsert("across", {89.995, 180}, true, 1).ok());
  ASSERT_TRUE(index.upsert("south", {-90, 45}, true, 1).ok());
  EXPECT_EQ(ids_of(index.candidates({89.995, 0}, 2'000, 5)), (std::vector<std::string>{"pole", "across"}));
  EXPECT_EQ(ids_of(index.candidates({-89.99, -100}, 2'000, 5)), (std::vector<std::string>{"south"}));
}

TEST(RiderIndex, OptionsValidatedAndClamped) {
  EXPECT_TRUE(validate(RiderIndexOptions{}).ok());
  EXPECT_FALSE(validate(RiderIndexOptions{.cell_size_m = 10}).ok());
  EXPECT_FALSE(validate(RiderIndexOptions{.cell_size_m = std::numeric_limits<double>::quiet_NaN()}).ok());
  EXPECT_FALSE(validate(RiderIndexOptions{.max_radius_m = 0}).ok());
  EXPECT_FALSE(validate(RiderIndexOptions{.max_riders = 0}).ok());
  const RiderIndex clamped({.cell_size_m = 1, .max_radius_m = -1, .max_riders = 0});
  EXPECT_EQ(clamped.options().cell_size_m, 50.0);
  EXPECT_EQ(clamped.options().max_radius_m, RiderIndexOptions{}.max_radius_m);
  EXPECT_EQ(clamped.options().max_riders, 1u);
}

TEST(RiderIndex, Movable) {
  RiderIndex first;
  ASSERT_TRUE(first.upsert("a", kSquare, true, 1).ok());
  RiderIndex second = std::move(first);
  EXPECT_EQ(ids_of(second.nearest(kSquare, 1)), (std::vector<std::string>{"a"}));
}

// The bench's fleet: 100k riders over a 20 km city. Checks size, the memory bound and
// that sampled answers still match a full scan; nothing is timed here.
TEST(RiderIndex, HundredThousandRiders) {
  SeededRandom random(42);
  const CityArea city;
  RiderIndex index;
  ASSERT_TRUE(populate_riders(index, random, city, 100'000, 0.8, 5).ok());
  EXPECT_EQ(index.size(), 100'000u);
  EXPECT_NEAR(static_cast<double>(index.available_count()), 80'000, 1'000);
  EXPECT_LT(index.approx_memory_bytes(), 50u * 1024 * 1024);
  EXPECT_GT(index.approx_memory_bytes(), 100'000u * 64);

  BruteForce truth;
  for (size_t i = 0; i < 100'000; ++i) {
    const std::string id = "rider-" + std::to_string(i);
    const auto state = index.find(id);
    ASSERT_TRUE(state.has_value()) << id;
    truth.upsert(id, state->position, state->available, state->reported_ms);
  }
  for (int q = 0; q < 20; ++q) {
    const LatLon point = random_point_within(random, city.centre, city.radius_m);
    expect_same(index.candidates(point, 3'000, 10), truth.candidates(point, 3'000, 10), "100k q" + std::to_string(q));
  }
  const uint64_t found = run_candidate_queries(index, random, city, 1'000, 3'000, 10);
  EXPECT_EQ(found, 10'000u);  // the city is dense enough that every query fills up
}

}  // namespace
}  // namespace tidewire::dispatch

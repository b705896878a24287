// Dispatch regions: the --dispatch-regions parser and its checks, and a Dispatcher whose
// regions run different policies side by side (fakes, ManualClock).
#include "tidewire/dispatch/region.hpp"

#include <gtest/gtest.h>

#include "dispatcher_test_support.hpp"

namespace tidewire::dispatch {
namespace {

using testing::kT0;
using testing::north;

constexpr double kLat = 52.0;
constexpr double kLon = 13.0;

std::string error_of(const std::string& text) {
  auto r = parse_regions(text);
  EXPECT_FALSE(r.ok()) << "accepted: " << text;
  return r.ok() ? std::string() : r.error().message;
}

TEST(RegionParse, ReadsNamesBoxesPoliciesAndIntervals) {
  auto r = parse_regions(" north : 31.20,121.40,31.30,121.55 : batch : 2.5 ; south:31.10,121.40,31.20,121.55:instant;");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].name, "north");
  EXPECT_DOUBLE_EQ((*r)[0].lat_min, 31.20);
  EXPECT_DOUBLE_EQ((*r)[0].lon_min, 121.40);
  EXPECT_DOUBLE_EQ((*r)[0].lat_max, 31.30);
  EXPECT_DOUBLE_EQ((*r)[0].lon_max, 121.55);
  EXPECT_EQ((*r)[0].kind, PolicyKind::kBatch);
  EXPECT_EQ((*r)[0].batch_interval_ms, 2'500);
  EXPECT_EQ((*r)[1].kind, PolicyKind::kInstant);
  EXPECT_EQ((*r)[1].batch_interval_ms, 0);
  EXPECT_EQ(describe(*r), "north=batch/2.5s,south=instant");
  auto none = parse_regions("  ");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(RegionParse, RefusesWithAMessageThatSaysWhatToFix) {
  EXPECT_NE(error_of("north:31.2,121.4,31.3:batch").find("needs 4 numbers"), std::string::npos);
  EXPECT_NE(error_of("north:31.2,121.4,31.3,x:batch").find("'x' is not a number"), std::string::npos);
  EXPECT_NE(error_of("north:31.2,121.4,31.3,121.5").find("expected name:lat_min"), std::string::npos);
  EXPECT_NE(error_of("north:31.2,121.4,31.3,121.5:greedy").find("'instant' or 'batch'"), std::string::npos);
  EXPECT_NE(error_of("north:31.3,121.4,31.2,121.5:batch").find("min below its max"), std::string::npos);
  EXPECT_NE(error_of("north:31.2,121.4,31.3,181:batch").find("-180..180"), std::string::npos);
  EXPECT_NE(error_of("no rth:31.2,121.4,31.3,121.5:batch").find("the name must be"), std::string::npos);
  EXPECT_NE(error_of("a:1,1,2,2:batch;a:3,3,4,4:batch").find("already used"), std::string::npos);
  EXPECT_NE(error_of("a:1,1,2,2:instant:5").find("batch region only"), std::string::npos);
  EXPECT_NE(error_of("a:1,1,2,2:batch:0.01").find("0.1-3600 s"), std::string::npos);
  EXPECT_NE(error_of("a:1,1,2,2:batch:-3").find("0.1-3600 s"), std::string::npos);
  EXPECT_NE(error_of("a:1,1,2,2:batch;;b:3,3,4,4:batch").find("region 2 is empty"), std::string::npos);
  // First match wins, so a box inside an earlier one could never match: list it first.
  auto inside = error_of("city:1,1,5,5:instant;old-town:2,2,3,3:batch");
  EXPECT_NE(inside.find("region 2 ('old-town') lies wholly inside the earlier region 'city'"), std::string::npos);
  EXPECT_TRUE(parse_regions("old-town:2,2,3,3:batch;city:1,1,5,5:instant").ok());
  std::string many;
  for (int i = 0; i <= static_cast<int>(kMaxRegions); ++i) many += "r" + std::to_string(i) + ":1,1,2,2:batch;";
  EXPECT_NE(error_of(many).find("at most 64"), std::string::npos);
  EXPECT_EQ(error_of("x").find("--dispatch-regions: dispatch region 1 ('x'): expected"), 0u);
}

TEST(RegionParse, FirstRegionHoldingThePointWins) {
  auto r = parse_regions("west:0,0,2,2:batch;east:1,1,3,3:instant");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(region_of(*r, 1.5, 1.5), 0u);  // in both
  EXPECT_EQ(region_of(*r, 2.5, 2.5), 1u);
  EXPECT_EQ(region_of(*r, 2.0, 2.0), 0u);  // edges belong to the box
  EXPECT_FALSE(region_of(*r, 5, 5).has_value());
}

// The city: merchant "in" lies in the region, merchant "out" 3 km south of it does not.
struct RegionDispatchTest : ::testing::Test {
  void start(PolicyKind default_kind, PolicyKind region_kind, int64_t region_interval_ms = 0) {
    DispatcherOptions o;
    o.policy.kind = default_kind;
    o.policy.batch_interval_ms = 5'000;
    Region r;
    r.name = "centre";
    r.lat_min = north(kLat, -1000);
    r.lat_max = north(kLat, 1000);
    r.lon_min = kLon - 0.02;
    r.lon_max = kLon + 0.02;
    r.kind = region_kind;
    r.batch_interval_ms = region_interval_ms;
    o.regions = {r};
    ASSERT_TRUE(validate(o.regions));
    dispatcher = std::make_unique<Dispatcher>(store, sender, updates, nullptr, clock, random, metrics, o);
    ASSERT_TRUE(dispatcher->put_merchant({"in", "Inside", kLat, kLon}));
    ASSERT_TRUE(dispatcher->put_merchant({"out", "Outside", north(kLat, -3000), kLon}));
    dispatcher->on_rider_status("r-in", testing::rider_status(north(kLat, 300), kLon), clock.wall_ms());
    dispatcher->on_rider_status("r-out", testing::rider_status(north(kLat, -2700), kLon), clock.wall_ms());
  }
  const Order& order(const std::string& id) { return *dispatcher->book().find(id); }
  MemoryOrderStore store;
  ManualClock clock{kT0};
  SeededRandom random{7};
  MetricsRegistry metrics;
  testing::FakeOfferSender sender;
  testing::FakeUpdates updates;
  std::unique_ptr<Dispatcher> dispatcher;
};

TEST_F(RegionDispatchTest, InstantRegionInsideABatchCity) {
  start(PolicyKind::kBatch, PolicyKind::kInstant);
  ASSERT_TRUE(dispatcher->create_order(testing::order_request("o-in", "in"), ""));
  ASSERT_TRUE(dispatcher->create_order(testing::order_request("o-out", "out", north(kLat, -5000)), ""));
  EXPECT_EQ(dispatcher->policy_of(order("o-in")), PolicyKind::kInstant);
  EXPECT_EQ(dispatcher->policy_of(order("o-out")), PolicyKind::kBatch);
  ASSERT_EQ(sender.sent.size(), 1u);  // on arrival, in the region only
  EXPECT_EQ(sender.sent[0].offer.legs(0).order_id(), "o-in");
  EXPECT_EQ(order("o-out").state, OrderState::kCreated);
  // A decline sends the instant order on at once, without waiting for a round.
  auto s = sender.sent[0];
  dispatcher->on_offer_result(s.rider_id, testing::answer(s.command_id, s.offer.offer_id(), s.rider_id, false));
  ASSERT_EQ(sender.sent.size(), 2u);
  EXPECT_EQ(sender.sent[1].offer.legs(0).order_id(), "o-in");
  EXPECT_EQ(sender.sent[1].rider_id, "r-out");
  // The batch order waits for the round, where r-new, next to its merchant, is cheapest.
  dispatcher->on_rider_status("r-new", testing::rider_status(north(kLat, -3100), kLon), clock.wall_ms());
  clock.advance_ms(5'000);
  dispatcher->run_due();
  ASSERT_EQ(sender.sent.size(), 3u);
  EXPECT_EQ(sender.sent[2].offer.legs(0).order_id(), "o-out");
  EXPECT_EQ(sender.sent[2].rider_id, "r-new");
  auto text = metrics.render_prometheus();
  EXPECT_NE(text.find("tw_dispatch_decisions_total{policy=\"instant\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("tw_dispatch_decisions_total{policy=\"batch\"} 1"), std::string::npos);
  EXPECT_NE(text.find("tw_dispatch_rounds_total{region=\"default\"} 1"), std::string::npos);
}

TEST_F(RegionDispatchTest, BatchRegionRoundsAtItsOwnIntervalInAnInstantCity) {
  start(PolicyKind::kInstant, PolicyKind::kBatch, 2'000);
  EXPECT_EQ(dispatcher->next_due_ms(), kT0 + 2'000);
  ASSERT_TRUE(dispatcher->create_order(testing::order_request("o-in", "in"), ""));
  ASSERT_TRUE(dispatcher->create_order(testing::order_request("o-out", "out", north(kLat, -5000)), ""));
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.sent[0].offer.legs(0).order_id(), "o-out");
  EXPECT_EQ(sender.sent[0].rider_id, "r-out");
  clock.advance_ms(1'999);
  dispatcher->run_due();
  EXPECT_EQ(sender.sent.size(), 1u);
  clock.advance_ms(1);
  dispatcher->run_due();
  ASSERT_EQ(sender.sent.size(), 2u);
  EXPECT_EQ(sender.sent[1].offer.legs(0).order_id(), "o-in");
  EXPECT_EQ(sender.sent[1].rider_id, "r-in");
  EXPECT_EQ(dispatcher->next_due_ms(), kT0 + 4'000);
  EXPECT_NE(metrics.render_prometheus().find("tw_dispatch_rounds_total{region=\"centre\"} 1"), std::string::npos);
}

TEST_F(RegionDispatchTest, BatchRegionPostponesOrdersNotReadySoon) {
  start(PolicyKind::kInstant, PolicyKind::kBatch);
  auto later = testing::order_request("o-later", "in");
  later.set_placed_ms(clock.wall_ms());
  later.set_ready_ms(clock.wall_ms() + 20 * 60'000);  // beyond the 600 s postpone horizon
  ASSERT_TRUE(dispatcher->create_order(later, ""));
  clock.advance_ms(5'000);
  dispatcher->run_due();
  EXPECT_TRUE(sender.sent.empty());
  EXPECT_EQ(order("o-later").state, OrderState::kCreated);
  EXPECT_NE(metrics.render_prometheus().find("tw_dispatch_postponed_total 1"), std::string::npos);
  // Ten minutes before it is ready, it joins a round.
  clock.advance_ms(10 * 60'000 - 5'000);
  dispatcher->on_rider_status("r-in", testing::rider_status(north(kLat, 300), kLon), clock.wall_ms());
  dispatcher->run_due();
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.sent[0].rider_id, "r-in");
}

}  // namespace
}  // namespace tidewire::dispatch

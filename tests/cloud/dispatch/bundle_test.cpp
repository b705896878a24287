// Bundling in the batch policy: the route estimate (plan_bundle) on its own, and batch
// rounds that offer a second order to a rider already heading to the same merchant only
// when both promised times hold (Dispatcher with fakes and a ManualClock).
#include "cloud/dispatch/src/bundle.hpp"

#include <gtest/gtest.h>

#include "dispatcher_test_support.hpp"

namespace tidewire::dispatch {
namespace {

using testing::kT0;
using testing::north;

constexpr double kLat = 52.0;
constexpr double kLon = 13.0;
constexpr int64_t kMin = 60'000;

Order order_at(const std::string& id, double pickup_lat, double dropoff_lat, int64_t ready_ms, int64_t promised_ms) {
  Order o;
  o.order_id = id;
  o.pickup_lat = pickup_lat;
  o.pickup_lon = kLon;
  o.dropoff_lat = dropoff_lat;
  o.dropoff_lon = kLon;
  o.placed_ms = kT0;
  o.ready_ms = ready_ms;
  o.promised_ms = promised_ms;
  o.state = OrderState::kAssigned;
  return o;
}

int64_t ms(double seconds) {
  return static_cast<int64_t>(std::llround(seconds * 1000.0));
}

struct BundlePlanTest : ::testing::Test {
  StraightLineTravel travel;
  PolicyOptions options;  // service 240 s at each stop
  LatLon merchant{kLat, kLon};
  double dropoff_lat = north(kLat, 2000);
  LatLon dropoff{dropoff_lat, kLon};
};

TEST_F(BundlePlanTest, SameMerchantAndStreetCostsTwoServiceStops) {
  Order held = order_at("o1", kLat, dropoff_lat, kT0, kT0 + 45 * kMin);
  Order added = order_at("o2", kLat, dropoff_lat, kT0, kT0 + 45 * kMin);
  added.state = OrderState::kCreated;
  auto p = plan_bundle({&held}, added, merchant, kT0, travel, options);
  ASSERT_TRUE(p.has_value());
  // Both pickups at the merchant, both drop-offs at one door: the bundle adds one service
  // stop at each end, and one of the two meals waits for the other's pickup.
  EXPECT_NEAR(p->cost_s, 2 * 240.0 + 240.0, 0.01);
  int64_t leg = ms(travel.seconds(merchant, dropoff));
  EXPECT_EQ(p->eta_pickup_ms, kT0 + 240'000);  // after the held order's pickup (a tie: held first)
  EXPECT_EQ(p->eta_dropoff_ms, kT0 + 2 * 240'000 + leg + 2 * 240'000);
}

TEST_F(BundlePlanTest, FoodNotReadyYetIsWaitedForNotCharged) {
  Order held = order_at("o1", kLat, dropoff_lat, kT0, kT0 + 45 * kMin);
  Order added = order_at("o2", kLat, dropoff_lat, kT0 + 10 * kMin, kT0 + 60 * kMin);
  added.state = OrderState::kCreated;
  auto p = plan_bundle({&held}, added, merchant, kT0, travel, options);
  ASSERT_TRUE(p.has_value());
  EXPECT_GE(p->eta_pickup_ms, kT0 + 10 * kMin);  // never before the food is ready
  EXPECT_LE(p->eta_dropoff_ms, added.promised_ms);
  EXPECT_LE(p->eta_pickup_ms, p->eta_dropoff_ms);
}

TEST_F(BundlePlanTest, RefusedWhenTheHeldOrdersPromiseWouldBreak) {
  // Alone, the held order is delivered after two service stops and the ride (~14.3 min),
  // 30 s before its promise: picking the new order up first delays it by a service stop,
  // and delivering it first brings the new order to its door at ~35 min, after 20 min.
  int64_t leg = ms(travel.seconds(merchant, dropoff));
  Order held = order_at("o1", kLat, dropoff_lat, kT0, kT0 + 2 * 240'000 + leg + 30'000);
  Order added = order_at("o2", kLat, dropoff_lat, kT0, kT0 + 20 * kMin);
  added.state = OrderState::kCreated;
  EXPECT_FALSE(plan_bundle({&held}, added, merchant, kT0, travel, options).has_value());
  // The same new order with a loose promise fits after the held one.
  added.promised_ms = kT0 + 60 * kMin;
  EXPECT_TRUE(plan_bundle({&held}, added, merchant, kT0, travel, options).has_value());
}

TEST_F(BundlePlanTest, PickedUpOrderNeedsOnlyItsDropoff) {
  Order held = order_at("o1", kLat, dropoff_lat, kT0 - 10 * kMin, kT0 + 30 * kMin);
  held.state = OrderState::kPickedUp;
  Order added = order_at("o2", kLat, dropoff_lat, kT0, kT0 + 45 * kMin);
  added.state = OrderState::kCreated;
  auto p = plan_bundle({&held}, added, merchant, kT0, travel, options);
  ASSERT_TRUE(p.has_value());
  // The rider is at the merchant: pick o2 up now, then both drop-offs at one door.
  EXPECT_EQ(p->eta_pickup_ms, kT0);
  EXPECT_NEAR(p->cost_s, 2 * 240.0, 0.01);
  // Held orders' food counts too: with o1 still to pick up (ready 10 min ago), one of the
  // two meals waits through the other's pickup service, whichever goes first.
  held.state = OrderState::kAssigned;
  auto q = plan_bundle({&held}, added, merchant, kT0, travel, options);
  ASSERT_TRUE(q.has_value());
  EXPECT_NEAR(q->cost_s, 2 * 240.0 + 240.0, 0.01);
}

TEST_F(BundlePlanTest, NothingHeldIsNotABundle) {
  Order added = order_at("o2", kLat, dropoff_lat, kT0, kT0 + 45 * kMin);
  EXPECT_FALSE(plan_bundle({}, added, merchant, kT0, travel, options).has_value());
}

TEST(BundleRiders, FindsRidersByPositionOrPickupAheadOnce) {
  Order heading = order_at("o1", kLat, north(kLat, 3000), kT0, kT0 + 45 * kMin);
  Order carried = order_at("o2", north(kLat, -3000), north(kLat, 3000), kT0, kT0 + 45 * kMin);
  carried.state = OrderState::kPickedUp;  // its pickup is behind the rider: not a point
  BundleRiders riders(500.0);
  // r1 stands 2 km away but is heading to the merchant; r2 stands 300 m from it; r3 is far.
  riders.add({"r1", {north(kLat, 2000), kLon}, {&heading}});
  riders.add({"r2", {north(kLat, 300), kLon}, {&carried}});
  riders.add({"r3", {north(kLat, 5000), kLon}, {&carried}});
  auto near = riders.near({north(kLat, 10), kLon}, 8);
  ASSERT_EQ(near.size(), 2u);
  EXPECT_EQ(near[0]->id, "r1");  // its pickup point is 10 m away
  EXPECT_EQ(near[1]->id, "r2");
  EXPECT_EQ(riders.near({north(kLat, 10), kLon}, 1).size(), 1u);
  EXPECT_TRUE(riders.near({north(kLat, 1000), kLon}, 8).empty());
}

// --- in a batch round ---------------------------------------------------------------------

struct BundleTest : ::testing::Test {
  DispatcherOptions options() const {
    DispatcherOptions o;
    o.policy.kind = PolicyKind::kBatch;
    o.policy.batch_interval_ms = 5'000;
    o.policy.bundle_max_load = max_load;
    return o;
  }
  int32_t max_load = 2;
  MemoryOrderStore store;
  ManualClock clock{kT0};
  SeededRandom random{7};
  MetricsRegistry metrics;
  testing::FakeOfferSender sender;
  testing::FakeUpdates updates;
  std::unique_ptr<Dispatcher> dispatcher;

  void start() {
    dispatcher = std::make_unique<Dispatcher>(store, sender, updates, nullptr, clock, random, metrics, options());
    ASSERT_TRUE(dispatcher->put_merchant({"m1", "Noodles", kLat, kLon}));
    ASSERT_TRUE(dispatcher->put_merchant({"m2", "Dumplings", north(kLat, 2000), kLon}));
  }
  void round() {
    clock.advance_ms(5'000);
    dispatcher->run_due();
  }
  // r1 takes o1 at m1 and reports that it carries it, standing 200 m from m1.
  void r1_carries_o1(int64_t promised_ms = 0, int carried = 1) {
    dispatcher->on_rider_status("r1", testing::rider_status(north(kLat, 200), kLon), clock.wall_ms());
    auto req = testing::order_request("o1", "m1", north(kLat, 2000));
    if (promised_ms) req.set_promised_ms(promised_ms);
    ASSERT_TRUE(dispatcher->create_order(req, ""));
    round();
    ASSERT_EQ(sender.sent.size(), 1u);
    auto s = sender.sent[0];
    dispatcher->on_offer_result("r1", testing::answer(s.command_id, s.offer.offer_id(), "r1", true));
    ASSERT_EQ(dispatcher->book().find("o1")->state, OrderState::kAssigned);
    auto status = testing::rider_status(north(kLat, 200), kLon);
    for (int i = 0; i < carried; ++i) status.add_carried_order_ids("o" + std::to_string(i + 1));
    dispatcher->on_rider_status("r1", status, clock.wall_ms());
  }
  uint64_t bundled() const {
    auto text = metrics.render_prometheus();
    const std::string sample = "\ntw_dispatch_bundled_offers_total ";
    auto at = text.find(sample);
    return at == std::string::npos ? 0 : std::stoull(text.substr(at + sample.size()));
  }
};

TEST_F(BundleTest, SecondOrderAtTheSameMerchantGoesToTheRiderHeadingThere) {
  start();
  r1_carries_o1();
  ASSERT_TRUE(dispatcher->create_order(testing::order_request("o2", "m1", north(kLat, 2100)), ""));
  round();
  ASSERT_EQ(sender.sent.size(), 2u);
  EXPECT_EQ(sender.sent[1].rider_id, "r1");
  ASSERT_EQ(sender.sent[1].offer.legs_size(), 1);  // the new order; o1 stays assigned
  const auto& leg = sender.sent[1].offer.legs(0);
  EXPECT_EQ(leg.order_id(), "o2");
  EXPECT_GT(leg.eta_pickup_ms(), clock.wall_ms());
  EXPECT_LE(leg.eta_dropoff_ms(), leg.promised_ms());
  EXPECT_EQ(bundled(), 1u);
  auto s = sender.sent[1];
  dispatcher->on_offer_result("r1", testing::answer(s.command_id, s.offer.offer_id(), "r1", true));
  auto rider = dispatcher->view_rider("r1");
  ASSERT_TRUE(rider);
  EXPECT_EQ(rider->order_ids_size(), 2);
  // Now at the maximum load: a third order is not bundled onto r1.
  ASSERT_TRUE(dispatcher->create_order(testing::order_request("o3", "m1"), ""));
  round();
  EXPECT_EQ(sender.sent.size(), 2u);
  EXPECT_EQ(dispatcher->book().find("o3")->state, OrderState::kCreated);
}

TEST_F(BundleTest, NoBundleWhenTheCarriedOrdersPromiseWouldBreak) {
  start();
  // o1 is promised just after its own route ends (~15 min from now): no bundle keeps it,
  // and o2's promise is too close for the route that serves o1 first.
  r1_carries_o1(kT0 + 17 * kMin);
  auto o2 = testing::order_request("o2", "m1", north(kLat, 2100));
  o2.set_promised_ms(clock.wall_ms() + 25 * kMin);
  ASSERT_TRUE(dispatcher->create_order(o2, ""));
  round();
  EXPECT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(dispatcher->book().find("o2")->state, OrderState::kCreated);
  EXPECT_EQ(bundled(), 0u);
}

TEST_F(BundleTest, AFreeRiderCloseByIsCheaperThanABundle) {
  start();
  r1_carries_o1();
  dispatcher->on_rider_status("r2", testing::rider_status(north(kLat, 300), kLon), clock.wall_ms());
  ASSERT_TRUE(dispatcher->create_order(testing::order_request("o2", "m1", north(kLat, 2100)), ""));
  round();
  ASSERT_EQ(sender.sent.size(), 2u);
  EXPECT_EQ(sender.sent[1].rider_id, "r2");  // ~1 min away beats 8 min of extra stops
  EXPECT_EQ(bundled(), 0u);
}

TEST_F(BundleTest, PickupFarFromTheRidersWayIsNotBundled) {
  start();
  r1_carries_o1();
  ASSERT_TRUE(dispatcher->create_order(testing::order_request("o2", "m2", north(kLat, 4000)), ""));
  round();
  EXPECT_EQ(sender.sent.size(), 1u);  // m2 is 2 km from r1 and from m1: beyond 500 m
  EXPECT_EQ(dispatcher->book().find("o2")->state, OrderState::kCreated);
}

TEST_F(BundleTest, TerminalReportingAFullLoadIsNotOffered) {
  start();
  r1_carries_o1(0, 2);  // the terminal says it carries two, the book knows of one
  ASSERT_TRUE(dispatcher->create_order(testing::order_request("o2", "m1", north(kLat, 2100)), ""));
  round();
  EXPECT_EQ(sender.sent.size(), 1u);
}

TEST_F(BundleTest, MaxLoadOneTurnsBundlingOff) {
  max_load = 1;
  start();
  r1_carries_o1();
  ASSERT_TRUE(dispatcher->create_order(testing::order_request("o2", "m1", north(kLat, 2100)), ""));
  round();
  EXPECT_EQ(sender.sent.size(), 1u);
}

TEST_F(BundleTest, ADeclinedBundleIsNotOfferedToThatRiderAgain) {
  start();
  r1_carries_o1();
  ASSERT_TRUE(dispatcher->create_order(testing::order_request("o2", "m1", north(kLat, 2100)), ""));
  round();
  ASSERT_EQ(sender.sent.size(), 2u);
  auto s = sender.sent[1];
  dispatcher->on_offer_result("r1", testing::answer(s.command_id, s.offer.offer_id(), "r1", false));
  EXPECT_EQ(dispatcher->view_rider("r1")->order_ids_size(), 1);
  round();
  EXPECT_EQ(sender.sent.size(), 2u);
  EXPECT_EQ(dispatcher->book().find("o2")->state, OrderState::kCreated);
}

TEST_F(BundleTest, BundleCandidatesSurviveARestart) {
  start();
  r1_carries_o1();
  // A new Dispatcher over the same store learns from the open orders who holds what.
  dispatcher = std::make_unique<Dispatcher>(store, sender, updates, nullptr, clock, random, metrics, options());
  ASSERT_TRUE(dispatcher->restore());
  dispatcher->on_rider_status("r1", testing::rider_status(north(kLat, 200), kLon), clock.wall_ms() + 1);
  ASSERT_TRUE(dispatcher->create_order(testing::order_request("o2", "m1", north(kLat, 2100)), ""));
  round();
  ASSERT_EQ(sender.sent.size(), 2u);
  EXPECT_EQ(sender.sent[1].rider_id, "r1");
}

}  // namespace
}  // namespace tidewire::dispatch

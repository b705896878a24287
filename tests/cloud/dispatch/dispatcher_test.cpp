// Dispatcher with fakes and a ManualClock: instant and batch policies, answers, expiry,
// rider reports, and reload from SQLite.
#include <gtest/gtest.h>

#include "dispatcher_test_support.hpp"
#include "sqlite/sqlite_order_store.hpp"

namespace tidewire::dispatch {
namespace {

using testing::DispatcherFixture;
using testing::kT0;
using testing::north;

constexpr double kLat = 52.0;
constexpr double kLon = 13.0;

struct InstantTest : ::testing::Test, DispatcherFixture {
  void SetUp() override {
    ASSERT_TRUE(dispatcher.put_merchant({"m1", "Noodles", kLat, kLon}));
    dispatcher.on_rider_status("r-near", testing::rider_status(north(kLat, 300), kLon), clock.wall_ms());
    dispatcher.on_rider_status("r-far", testing::rider_status(north(kLat, 1500), kLon), clock.wall_ms());
    dispatcher.on_rider_status("r-busy", testing::rider_status(north(kLat, 100), kLon, false), clock.wall_ms());
  }
  const Order& order(const std::string& id) {
    const Order* o = dispatcher.book().find(id);
    EXPECT_NE(o, nullptr);
    return *o;
  }
};

TEST_F(InstantTest, OffersTheNearestAvailableRider) {
  ASSERT_TRUE(dispatcher.create_order(testing::order_request("o1", "m1"), ""));
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.sent[0].rider_id, "r-near");  // r-busy is closer but not available
  EXPECT_EQ(sender.sent[0].offer.legs_size(), 1);
  EXPECT_EQ(sender.sent[0].offer.legs(0).order_id(), "o1");
  EXPECT_EQ(sender.sent[0].offer.expires_ms(), kT0 + 30'000);
  EXPECT_GT(sender.sent[0].offer.legs(0).eta_pickup_ms(), kT0);
  EXPECT_EQ(order("o1").state, OrderState::kOffered);
  EXPECT_TRUE(updates.has(Audience::kCustomer, "cust-o1", "created"));
  EXPECT_TRUE(updates.has(Audience::kCustomer, "cust-o1", "offered"));
}

TEST_F(InstantTest, DeclineReoffersToAnotherRiderExcludingTheFirst) {
  ASSERT_TRUE(dispatcher.create_order(testing::order_request("o1", "m1"), ""));
  ASSERT_EQ(sender.sent.size(), 1u);
  auto first = sender.sent[0];
  dispatcher.on_offer_result("r-near", testing::answer(first.command_id, first.offer.offer_id(), "r-near", false));
  ASSERT_EQ(sender.sent.size(), 2u);
  EXPECT_EQ(sender.sent[1].rider_id, "r-far");
  EXPECT_EQ(order("o1").state, OrderState::kOffered);
  EXPECT_EQ(order("o1").declined_riders, std::vector<std::string>{"r-near"});
  // The sweep later must not offer it back to the rider who declined.
  dispatcher.on_offer_result("r-far", testing::answer(sender.sent[1].command_id, sender.sent[1].offer.offer_id(),
                                                      "r-far", false));
  clock.advance_ms(5'000);
  dispatcher.run_due();
  EXPECT_EQ(sender.sent.size(), 2u);
  EXPECT_EQ(order("o1").state, OrderState::kCreated);
}

TEST_F(InstantTest, ExpiryReoffersToAnotherRider) {
  ASSERT_TRUE(dispatcher.create_order(testing::order_request("o1", "m1"), ""));
  clock.advance_ms(29'999);
  dispatcher.run_due();
  ASSERT_EQ(sender.sent.size(), 1u);  // not yet expired
  clock.advance_ms(1);
  dispatcher.run_due();
  ASSERT_EQ(sender.sent.size(), 2u);
  EXPECT_EQ(sender.sent[1].rider_id, "r-far");
  EXPECT_EQ(order("o1").timed_out_riders, std::vector<std::string>{"r-near"});
  EXPECT_TRUE(updates.has(Audience::kRider, "r-near", "offer_timed_out"));
}

TEST_F(InstantTest, ALateAcceptIsRefusedAndTheTerminalIsToldToDropTheOrder) {
  ASSERT_TRUE(dispatcher.create_order(testing::order_request("o1", "m1"), ""));
  auto first = sender.sent[0];
  clock.advance_ms(30'000);
  dispatcher.run_due();  // timed out: re-offered to r-far
  ASSERT_EQ(sender.sent.size(), 2u);
  // r-near's accept arrives now: refused, and its terminal must not ride for o1.
  dispatcher.on_offer_result("r-near", testing::answer(first.command_id, first.offer.offer_id(), "r-near", true));
  EXPECT_TRUE(order("o1").rider_id.empty());
  ASSERT_EQ(sender.cancels.size(), 1u);
  EXPECT_EQ(sender.cancels[0], std::make_pair(std::string("r-near"), std::string("o1")));
  EXPECT_EQ(dispatcher.stats().stale_accepts(), 1u);
  // A late accept by a device the offer was not made to tells nobody anything.
  dispatcher.on_offer_result("r-busy", testing::answer(first.command_id, first.offer.offer_id(), "r-busy", true));
  EXPECT_EQ(sender.cancels.size(), 1u);
  // The rider now holding the offer accepts in time: assigned, and not told to drop it.
  auto second = sender.sent[1];
  dispatcher.on_offer_result("r-far", testing::answer(second.command_id, second.offer.offer_id(), "r-far", true));
  EXPECT_EQ(order("o1").rider_id, "r-far");
  EXPECT_EQ(sender.cancels.size(), 1u);
}

TEST_F(InstantTest, AnswerFromAnotherRiderIsRefused) {
  ASSERT_TRUE(dispatcher.create_order(testing::order_request("o1", "m1"), ""));
  auto first = sender.sent[0];
  dispatcher.on_offer_result("r-far", testing::answer(first.command_id, first.offer.offer_id(), "r-far", true));
  EXPECT_EQ(order("o1").state, OrderState::kOffered);
  EXPECT_TRUE(order("o1").rider_id.empty());
  // A body claiming another rider than the device that sent it is refused too.
  dispatcher.on_offer_result("r-far", testing::answer(first.command_id, first.offer.offer_id(), "r-near", true));
  EXPECT_EQ(order("o1").state, OrderState::kOffered);
}

TEST_F(InstantTest, FailedCommandCountsAsDecline) {
  ASSERT_TRUE(dispatcher.create_order(testing::order_request("o1", "m1"), ""));
  v1::CommandResult failed;
  failed.set_command_id(sender.sent[0].command_id);
  failed.set_outcome(v1::COMMAND_OUTCOME_FAILED);
  dispatcher.on_offer_result("r-near", failed);
  ASSERT_EQ(sender.sent.size(), 2u);
  EXPECT_EQ(sender.sent[1].rider_id, "r-far");
}

TEST_F(InstantTest, AcceptAssignsAndNotifiesMerchantAndCustomer) {
  ASSERT_TRUE(dispatcher.create_order(testing::order_request("o1", "m1"), ""));
  auto first = sender.sent[0];
  dispatcher.on_offer_result("r-near", testing::answer(first.command_id, first.offer.offer_id(), "r-near", true));
  EXPECT_EQ(order("o1").state, OrderState::kAssigned);
  EXPECT_EQ(order("o1").rider_id, "r-near");
  EXPECT_TRUE(updates.has(Audience::kMerchant, "m1", "assigned"));
  EXPECT_TRUE(updates.has(Audience::kCustomer, "cust-o1", "assigned"));
  // A second order does not go to the rider who is now busy with the first.
  ASSERT_TRUE(dispatcher.create_order(testing::order_request("o2", "m1"), ""));
  ASSERT_EQ(sender.sent.size(), 2u);
  EXPECT_EQ(sender.sent[1].rider_id, "r-far");
  auto rider = dispatcher.view_rider("r-near");
  ASSERT_TRUE(rider);
  EXPECT_EQ(rider->order_ids_size(), 1);
  EXPECT_EQ(rider->offers_accepted(), 1u);
  EXPECT_FALSE(rider->available());
}

TEST_F(InstantTest, CancellingAnAssignedOrderTellsTheRidersTerminal) {
  ASSERT_TRUE(dispatcher.create_order(testing::order_request("o1", "m1"), ""));
  auto first = sender.sent[0];
  dispatcher.on_offer_result("r-near", testing::answer(first.command_id, first.offer.offer_id(), "r-near", true));
  ASSERT_TRUE(sender.cancels.empty());
  auto cancelled = dispatcher.cancel_order("o1", "customer changed their mind");
  ASSERT_TRUE(cancelled.ok()) << cancelled.error().describe();
  EXPECT_EQ(order("o1").state, OrderState::kCancelled);
  ASSERT_EQ(sender.cancels.size(), 1u);
  EXPECT_EQ(sender.cancels[0], std::make_pair(std::string("r-near"), std::string("o1")));
}

TEST_F(InstantTest, PickupAndDeliveryReportsMoveTheOrder) {
  ASSERT_TRUE(dispatcher.create_order(testing::order_request("o1", "m1"), ""));
  auto first = sender.sent[0];
  dispatcher.on_offer_result("r-near", testing::answer(first.command_id, first.offer.offer_id(), "r-near", true));
  v1::Event e;
  e.set_type("order.picked_up");
  (*e.mutable_attributes())["order_id"] = "o1";
  (*e.mutable_attributes())["lat"] = "52.0";
  (*e.mutable_attributes())["lon"] = "13.0";
  dispatcher.on_rider_event("r-far", e);  // not the assigned rider: refused
  EXPECT_EQ(order("o1").state, OrderState::kAssigned);
  dispatcher.on_rider_event("r-near", e);
  EXPECT_EQ(order("o1").state, OrderState::kPickedUp);
  EXPECT_TRUE(updates.has(Audience::kCustomer, "cust-o1", "picked_up"));
  e.set_type("order.delivered");
  dispatcher.on_rider_event("r-near", e);
  dispatcher.on_rider_event("r-near", e);  // a re-delivered copy is absorbed
  EXPECT_EQ(order("o1").state, OrderState::kDelivered);
  auto rider = dispatcher.view_rider("r-near");
  ASSERT_TRUE(rider);
  EXPECT_EQ(rider->orders_delivered(), 1u);
  EXPECT_EQ(dispatcher.stats().orders_delivered(), 1u);
}

TEST_F(InstantTest, OrderWithoutRiderIsOfferedByTheSweepWhenOneAppears) {
  dispatcher.on_rider_status("r-near", testing::rider_status(north(kLat, 300), kLon, false), clock.wall_ms() + 1);
  dispatcher.on_rider_status("r-far", testing::rider_status(north(kLat, 1500), kLon, false), clock.wall_ms() + 1);
  ASSERT_TRUE(dispatcher.create_order(testing::order_request("o1", "m1"), ""));
  EXPECT_TRUE(sender.sent.empty());
  dispatcher.on_rider_status("r-far", testing::rider_status(north(kLat, 1500), kLon, true), clock.wall_ms() + 2);
  clock.advance_ms(5'000);
  dispatcher.run_due();
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.sent[0].rider_id, "r-far");
}

struct BatchTest : ::testing::Test, DispatcherFixture {
  BatchTest() : DispatcherFixture(PolicyKind::kBatch) {}
};

TEST_F(BatchTest, AssignsTheOptimumNotTheGreedyChoice) {
  // A and B 1000 m apart; r1 halfway, r2 600 m beyond A. Nearest-first gives r1 to A and
  // sends r2 1600 m to B (2100 m); the optimum is r1 -> B, r2 -> A (1100 m).
  ASSERT_TRUE(dispatcher.put_merchant({"mA", "A", kLat, kLon}));
  ASSERT_TRUE(dispatcher.put_merchant({"mB", "B", north(kLat, 1000), kLon}));
  dispatcher.on_rider_status("r1", testing::rider_status(north(kLat, 500), kLon), clock.wall_ms());
  dispatcher.on_rider_status("r2", testing::rider_status(north(kLat, -600), kLon), clock.wall_ms());
  ASSERT_TRUE(dispatcher.create_order(testing::order_request("oA", "mA"), ""));
  ASSERT_TRUE(dispatcher.create_order(testing::order_request("oB", "mB"), ""));
  EXPECT_TRUE(sender.sent.empty());  // batch waits for its round
  clock.advance_ms(5'000);
  dispatcher.run_due();
  ASSERT_EQ(sender.sent.size(), 2u);
  std::map<std::string, std::string> rider_of;
  for (const auto& s : sender.sent) rider_of[s.offer.legs(0).order_id()] = s.rider_id;
  EXPECT_EQ(rider_of["oA"], "r2");
  EXPECT_EQ(rider_of["oB"], "r1");
  EXPECT_EQ(dispatcher.stats().policy(), "batch");
}

TEST_F(BatchTest, PostponesOrdersReadyLater) {
  ASSERT_TRUE(dispatcher.put_merchant({"mA", "A", kLat, kLon}));
  dispatcher.on_rider_status("r1", testing::rider_status(north(kLat, 500), kLon), clock.wall_ms());
  dispatcher.on_rider_status("r2", testing::rider_status(north(kLat, 900), kLon), clock.wall_ms());
  auto later = testing::order_request("o-later", "mA");
  later.set_placed_ms(clock.wall_ms());
  later.set_ready_ms(clock.wall_ms() + 20 * 60'000);  // beyond the 600 s postpone horizon
  ASSERT_TRUE(dispatcher.create_order(later, ""));
  ASSERT_TRUE(dispatcher.create_order(testing::order_request("o-now", "mA"), ""));
  clock.advance_ms(5'000);
  dispatcher.run_due();
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.sent[0].offer.legs(0).order_id(), "o-now");
  EXPECT_EQ(dispatcher.book().find("o-later")->state, OrderState::kCreated);
  EXPECT_NE(metrics.render_prometheus().find("tw_dispatch_postponed_total 1"), std::string::npos);
  // Once within the horizon it is dispatched.
  clock.advance_ms(15 * 60'000);
  dispatcher.on_rider_status("r1", testing::rider_status(north(kLat, 500), kLon), clock.wall_ms());
  dispatcher.on_rider_status("r2", testing::rider_status(north(kLat, 900), kLon), clock.wall_ms());
  dispatcher.run_due();
  EXPECT_EQ(dispatcher.book().find("o-later")->state, OrderState::kOffered);
}

TEST(DispatcherRestart, ReloadsOpenOrdersFromSqlite) {
  auto path = testing::temp_db("restart");
  {
    auto store = SqliteOrderStore::open(path);
    ASSERT_TRUE(store);
    DispatcherFixture f(PolicyKind::kInstant, store->get());
    ASSERT_TRUE(f.dispatcher.restore());
    ASSERT_TRUE(f.dispatcher.put_merchant({"m1", "Noodles", kLat, kLon}));
    ASSERT_TRUE(f.dispatcher.create_order(testing::order_request("o1", "m1"), "key-1"));
  }
  auto store = SqliteOrderStore::open(path);
  ASSERT_TRUE(store);
  DispatcherFixture f(PolicyKind::kInstant, store->get());
  ASSERT_TRUE(f.dispatcher.restore());
  const Order* o = f.dispatcher.book().find("o1");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->state, OrderState::kCreated);
  EXPECT_EQ(f.dispatcher.stats().merchants(), 1u);
  // The idempotency key survived: a retry is a replay, not a new order.
  auto replay = f.dispatcher.create_order(testing::order_request("o1", "m1"), "key-1");
  ASSERT_TRUE(replay);
  EXPECT_TRUE(replay->transition.duplicate);
  // A rider appearing after the restart gets it.
  f.dispatcher.on_rider_status("r1", testing::rider_status(north(kLat, 200), kLon), f.clock.wall_ms());
  f.clock.advance_ms(5'000);
  f.dispatcher.run_due();
  ASSERT_EQ(f.sender.sent.size(), 1u);
  EXPECT_EQ(f.sender.sent[0].rider_id, "r1");
}

}  // namespace
}  // namespace tidewire::dispatch

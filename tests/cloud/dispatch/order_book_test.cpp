// OrderBook: creation (validation, idempotency), pickup, delivery, cancellation, and
// that every refusal and every failed write leaves all state as it was.
#include <cmath>
#include <limits>

#include "tests/cloud/dispatch/order_test_support.hpp"

namespace tidewire::dispatch {
namespace {

using namespace testing;

class OrderBookTest : public OrderBookFixture {};

TEST_F(OrderBookTest, CreateStoresAnOrderWaitingForARiderAndTellsTheCustomer) {
  auto placed = b_.book.create(request("o1", kT0), "key-1");
  ASSERT_TRUE(placed.ok()) << placed.error().describe();
  EXPECT_FALSE(placed->transition.duplicate);
  const Order& o = placed->order;
  EXPECT_EQ(o.state, OrderState::kCreated);
  EXPECT_EQ(o.pickup_lat, pizza().lat);
  EXPECT_EQ(o.pickup_lon, pizza().lon);
  ASSERT_EQ(o.timeline.size(), 1u);
  EXPECT_EQ(o.timeline[0].event, "created");
  ASSERT_EQ(placed->transition.notifications.size(), 1u);
  EXPECT_TRUE(has_notification(placed->transition, Audience::kCustomer, "cust-1", "created"));
  EXPECT_EQ(b_.book.waiting_count(), 1u);
  EXPECT_EQ(b_.book.count(OrderState::kCreated), 1u);
  auto stored = store_.find_order("o1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->state, OrderState::kCreated);
  EXPECT_EQ(b_.metrics.counter_value("tw_dispatch_order_transitions_total", {{"from", "none"}, {"to", "created"}}), 1u);
}

TEST_F(OrderBookTest, DefaultsFillPlacedReadyAndPromisedTimes) {
  b_.clock.advance_ms(5'000);
  v1::OrderRequest r = request("o1", 0);
  r.clear_placed_ms();
  r.clear_ready_ms();
  r.clear_promised_ms();
  auto placed = b_.book.create(r, "");
  ASSERT_TRUE(placed.ok()) << placed.error().describe();
  EXPECT_EQ(placed->order.placed_ms, b_.clock.wall_ms());
  EXPECT_EQ(placed->order.ready_ms, b_.clock.wall_ms());
  EXPECT_EQ(placed->order.promised_ms, b_.clock.wall_ms() + OrderBookOptions{}.default_promise_ms);
}

TEST_F(OrderBookTest, SameKeySameRequestReturnsTheFirstOrderWithoutAChange) {
  auto first = b_.book.create(request("o1", kT0), "key-1");
  ASSERT_TRUE(first.ok());
  std::string before = b_.observable({"o1"});
  size_t writes = store_.writes_ForTest();
  b_.clock.advance_ms(30'000);  // a retry, later
  auto again = b_.book.create(request("o1", kT0), "key-1");
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_TRUE(again->transition.duplicate);
  EXPECT_TRUE(again->transition.notifications.empty());
  EXPECT_EQ(again->order.order_id, "o1");
  EXPECT_EQ(again->order.created_ms, kT0);
  EXPECT_EQ(b_.observable({"o1"}), before);
  EXPECT_EQ(store_.writes_ForTest(), writes);
  EXPECT_EQ(b_.metrics.counter_value("tw_dispatch_duplicates_total", {{"op", "create"}}), 1u);
}

TEST_F(OrderBookTest, SameKeyDifferentRequestIsAConflict) {
  ASSERT_TRUE(b_.book.create(request("o1", kT0), "key-1").ok());
  auto changed = request("o1", kT0);
  changed.set_dropoff_lat(52.6);
  expect_refused("create", "idempotency_conflict", ErrorCode::kConflict,
                 [&] { return b_.book.create(changed, "key-1"); });
  // Also for a different order id under the same key.
  expect_refused("create", "idempotency_conflict", ErrorCode::kConflict,
                 [&] { return b_.book.create(request("o2", kT0), "key-1"); }, {"o1", "o2"});
}

TEST_F(OrderBookTest, DuplicateOrderIdWithoutTheSameKeyIsRefused) {
  ASSERT_TRUE(b_.book.create(request("o1", kT0), "key-1").ok());
  expect_refused("create", "duplicate_order_id", ErrorCode::kConflict,
                 [&] { return b_.book.create(request("o1", kT0), ""); });
  expect_refused("create", "duplicate_order_id", ErrorCode::kConflict,
                 [&] { return b_.book.create(request("o1", kT0), "key-2"); });
}

TEST_F(OrderBookTest, EachBadRequestIsRefusedWithItsReasonAndChangesNothing) {
  b_.place("o0");  // something to leave untouched
  struct Case {
    const char* reason;
    ErrorCode code;
    std::function<void(v1::OrderRequest&)> spoil;
    std::string key;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<Case> cases{
      {"unknown_merchant", ErrorCode::kInvalidArgument, [](auto& r) { r.set_merchant_id("m-nowhere"); }, ""},
      {"invalid_coordinates", ErrorCode::kInvalidArgument, [](auto& r) { r.set_dropoff_lat(91); }, ""},
      {"invalid_coordinates", ErrorCode::kInvalidArgument, [](auto& r) { r.set_dropoff_lon(-180.5); }, ""},
      {"invalid_coordinates", ErrorCode::kInvalidArgument, [=](auto& r) { r.set_dropoff_lat(nan); }, ""},
      {"invalid_coordinates", ErrorCode::kInvalidArgument,
       [](auto& r) {
         r.clear_dropoff_lat();
         r.clear_dropoff_lon();
       },
       ""},
      {"ready_before_placed", ErrorCode::kInvalidArgument, [](auto& r) { r.set_ready_ms(r.placed_ms() - 1); }, ""},
      {"promised_before_placed", ErrorCode::kInvalidArgument, [](auto& r) { r.set_promised_ms(r.placed_ms() - 1); },
       ""},
      {"promised_before_ready", ErrorCode::kInvalidArgument, [](auto& r) { r.set_promised_ms(r.ready_ms() - 1); }, ""},
      {"placed_in_future", ErrorCode::kInvalidArgument, [](auto& r) { r.set_placed_ms(r.placed_ms() + 3'600'000); },
       ""},
      {"invalid_time", ErrorCode::kInvalidArgument, [](auto& r) { r.set_placed_ms(-5); }, ""},
      {"invalid_time", ErrorCode::kInvalidArgument, [](auto& r) { r.set_placed_ms(1'700'000'000); }, ""},  // seconds
      {"beyond_horizon", ErrorCode::kInvalidArgument,
       [](auto& r) { r.set_promised_ms(r.placed_ms() + 48 * 3'600'000LL); }, ""},
      {"invalid_order_id", ErrorCode::kInvalidArgument, [](auto& r) { r.set_order_id("bad/id"); }, ""},
      {"invalid_order_id", ErrorCode::kInvalidArgument, [](auto& r) { r.clear_order_id(); }, ""},
      {"invalid_customer_id", ErrorCode::kInvalidArgument, [](auto& r) { r.set_customer_id("a b"); }, ""},
      {"invalid_customer_id", ErrorCode::kInvalidArgument, [](auto& r) { r.set_customer_id("c.1"); }, ""},
      {"invalid_idempotency_key", ErrorCode::kInvalidArgument, [](auto&) {}, "has space"},
      {"invalid_idempotency_key", ErrorCode::kInvalidArgument, [](auto&) {}, std::string(200, 'k')},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.reason);
    auto r = request("o1", kT0);
    c.spoil(r);
    expect_refused("create", c.reason, ErrorCode(c.code), [&] { return b_.book.create(r, c.key); }, {"o0", "o1"});
  }
  EXPECT_EQ(b_.book.rejected_total(), cases.size());
}

TEST_F(OrderBookTest, TooManyOpenOrdersIsUnavailableUntilOneCloses) {
  MemoryOrderStore store;
  OrderBookOptions options;
  options.max_open_orders = 2;
  Bench b(store, options);
  b.place("o1");
  b.place("o2");
  auto third = b.book.create(request("o3", kT0), "");
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(reject_reason(third.error()), "too_many_open_orders");
  ASSERT_TRUE(b.book.cancel("o1", "").ok());
  EXPECT_TRUE(b.book.create(request("o3", kT0), "").ok());
}

TEST_F(OrderBookTest, AFailedWriteChangesNothingAndTheRetrySucceeds) {
  b_.place("o1");
  std::string before = b_.observable({"o1", "o2"});
  store_.fail_writes_ForTest(1);
  auto failed = b_.book.create(request("o2", kT0), "key-2");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kIo);
  EXPECT_EQ(reject_reason(failed.error()), "");
  EXPECT_EQ(b_.observable({"o1", "o2"}), before);
  EXPECT_EQ(b_.metrics.counter_value("tw_dispatch_store_failures_total", {{"op", "create"}}), 1u);

  store_.fail_writes_ForTest(1);
  ASSERT_FALSE(b_.book.cancel("o1", "").ok());
  EXPECT_EQ(b_.state("o1"), OrderState::kCreated);

  auto retried = b_.book.create(request("o2", kT0), "key-2");
  ASSERT_TRUE(retried.ok()) << retried.error().describe();
  EXPECT_FALSE(retried->transition.duplicate);
}

TEST_F(OrderBookTest, PickupAndDeliveryByTheAssignedRiderCloseTheOrder) {
  b_.place("o1");
  auto offer = b_.offer("rider-1", {"o1"});
  ASSERT_TRUE(b_.book.answer(offer, "rider-1", true).ok());
  EXPECT_EQ(b_.book.orders_of_rider("rider-1").size(), 1u);

  b_.clock.advance_ms(4 * kMinute);
  auto picked = b_.book.pick_up({"o1", "rider-1", true, 52.5201, 13.4051});
  ASSERT_TRUE(picked.ok()) << picked.error().describe();
  EXPECT_TRUE(has_notification(*picked, Audience::kCustomer, "cust-1", "picked_up"));
  EXPECT_EQ(b_.state("o1"), OrderState::kPickedUp);
  EXPECT_EQ(b_.book.find("o1")->picked_up_ms, b_.clock.wall_ms());
  EXPECT_TRUE(b_.book.find("o1")->timeline.back().has_position);

  b_.clock.advance_ms(9 * kMinute);
  auto delivered = b_.book.deliver({"o1", "rider-1", false, 0, 0});
  ASSERT_TRUE(delivered.ok()) << delivered.error().describe();
  EXPECT_TRUE(has_notification(*delivered, Audience::kCustomer, "cust-1", "delivered"));
  EXPECT_EQ(b_.state("o1"), OrderState::kDelivered);
  EXPECT_EQ(b_.book.open_count(), 0u);
  EXPECT_TRUE(b_.book.orders_of_rider("rider-1").empty());
  const auto& timeline = b_.book.find("o1")->timeline;
  std::vector<std::string> events;
  for (const auto& e : timeline) events.push_back(e.event);
  EXPECT_EQ(events, (std::vector<std::string>{"created", "offered", "assigned", "picked_up", "delivered"}));

  // A re-sent report is absorbed; a late pickup report after delivery too.
  auto again = b_.book.deliver({"o1", "rider-1", false, 0, 0});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_TRUE(b_.book.pick_up({"o1", "rider-1", false, 0, 0})->duplicate);
}

// After a kill -9 of the cloud an edge re-sends the lost batch holding a pickup report
// after the newer batch holding the delivery (DispatchFaultTest): the delivery implies it.
TEST_F(OrderBookTest, ADeliveryBeforeItsLatePickupReportImpliesThePickup) {
  b_.place("o1");
  auto offer = b_.offer("rider-1", {"o1"});
  ASSERT_TRUE(b_.book.answer(offer, "rider-1", true).ok());
  expect_refused("deliver", "not_assigned_rider", ErrorCode::kConflict, [&] {
    return b_.book.deliver({"o1", "rider-2", false, 0, 0});
  });
  auto delivered = b_.book.deliver({"o1", "rider-1", false, 0, 0});
  ASSERT_TRUE(delivered.ok()) << delivered.error().describe();
  EXPECT_TRUE(has_notification(*delivered, Audience::kCustomer, "cust-1", "picked_up"));
  EXPECT_TRUE(has_notification(*delivered, Audience::kCustomer, "cust-1", "delivered"));
  EXPECT_EQ(b_.state("o1"), OrderState::kDelivered);
  EXPECT_TRUE(b_.book.orders_of_rider("rider-1").empty());
  std::vector<std::string> events;
  for (const auto& e : b_.book.find("o1")->timeline) events.push_back(e.event);
  EXPECT_EQ(events, (std::vector<std::string>{"created", "offered", "assigned", "picked_up", "delivered"}));
  EXPECT_TRUE(b_.book.pick_up({"o1", "rider-1", false, 0, 0})->duplicate);
}

TEST_F(OrderBookTest, ReportsFromAnotherRiderOrOutOfOrderAreRefused) {
  b_.place("o1");
  expect_refused("pick_up", "invalid_transition", ErrorCode::kConflict, [&] {
    return b_.book.pick_up({"o1", "rider-1", false, 0, 0});
  });
  expect_refused("deliver", "invalid_transition", ErrorCode::kConflict, [&] {
    return b_.book.deliver({"o1", "rider-1", false, 0, 0});
  });
  auto offer = b_.offer("rider-1", {"o1"});
  ASSERT_TRUE(b_.book.answer(offer, "rider-1", true).ok());
  expect_refused("pick_up", "not_assigned_rider", ErrorCode::kConflict, [&] {
    return b_.book.pick_up({"o1", "rider-2", false, 0, 0});
  });
  expect_refused("pick_up", "unknown_order", ErrorCode::kNotFound, [&] {
    return b_.book.pick_up({"o9", "rider-1", false, 0, 0});
  });
  expect_refused("pick_up", "invalid_rider_id", ErrorCode::kInvalidArgument, [&] {
    return b_.book.pick_up({"o1", "", false, 0, 0});
  });
  expect_refused("pick_up", "invalid_rider_id", ErrorCode::kInvalidArgument, [&] {
    return b_.book.pick_up({"o1", "rider.1", false, 0, 0});
  });
  expect_refused("pick_up", "invalid_coordinates", ErrorCode::kInvalidArgument, [&] {
    return b_.book.pick_up({"o1", "rider-1", true, 120, 0});
  });
  ASSERT_TRUE(b_.book.pick_up({"o1", "rider-1", false, 0, 0}).ok());
  expect_refused("deliver", "not_assigned_rider", ErrorCode::kConflict, [&] {
    return b_.book.deliver({"o1", "rider-2", false, 0, 0});
  });
}

TEST_F(OrderBookTest, CancelBeforePickupTellsCustomerMerchantAndTheRiderHoldingIt) {
  b_.place("o1");
  b_.place("o2");
  b_.place("o3");
  // o1 waiting, o2 offered, o3 assigned.
  auto offer2 = b_.offer("rider-2", {"o2"});
  auto offer3 = b_.offer("rider-3", {"o3"});
  ASSERT_TRUE(b_.book.answer(offer3, "rider-3", true).ok());

  auto c1 = b_.book.cancel("o1", "customer changed their mind");
  ASSERT_TRUE(c1.ok()) << c1.error().describe();
  EXPECT_TRUE(has_notification(*c1, Audience::kCustomer, "cust-1", "cancelled"));
  EXPECT_TRUE(has_notification(*c1, Audience::kMerchant, "m-pizza", "cancelled"));
  EXPECT_EQ(c1->notifications.size(), 2u);
  EXPECT_EQ(b_.book.find("o1")->timeline.back().note, "customer changed their mind");

  auto c2 = b_.book.cancel("o2", "");
  ASSERT_TRUE(c2.ok());
  EXPECT_TRUE(has_notification(*c2, Audience::kRider, "rider-2", "cancelled"));
  EXPECT_EQ(b_.book.pending_offer(offer2), nullptr);  // withdrawn: nothing left in it
  EXPECT_EQ(b_.book.pending_offer_of_rider("rider-2"), nullptr);
  EXPECT_EQ(b_.book.offer_count(OfferState::kWithdrawn), 1u);

  auto c3 = b_.book.cancel("o3", "");
  ASSERT_TRUE(c3.ok());
  EXPECT_TRUE(has_notification(*c3, Audience::kRider, "rider-3", "cancelled"));
  EXPECT_TRUE(b_.book.orders_of_rider("rider-3").empty());
  EXPECT_EQ(b_.book.count(OrderState::kCancelled), 3u);
  EXPECT_EQ(b_.book.open_count(), 0u);

  // Cancelling again is a no-op; the withdrawn offer cannot be accepted any more.
  EXPECT_TRUE(b_.book.cancel("o1", "")->duplicate);
  expect_refused("answer", "offer_resolved", ErrorCode::kConflict,
                 [&] { return b_.book.answer(offer2, "rider-2", true); }, {"o2"});
}

TEST_F(OrderBookTest, CancelAfterPickupIsRefused) {
  b_.place("o1");
  auto offer = b_.offer("rider-1", {"o1"});
  ASSERT_TRUE(b_.book.answer(offer, "rider-1", true).ok());
  ASSERT_TRUE(b_.book.pick_up({"o1", "rider-1", false, 0, 0}).ok());
  expect_refused("cancel", "invalid_transition", ErrorCode::kConflict, [&] { return b_.book.cancel("o1", ""); });
  expect_refused("cancel", "unknown_order", ErrorCode::kNotFound, [&] { return b_.book.cancel("o404", ""); });
  expect_refused("cancel", "invalid_note", ErrorCode::kInvalidArgument,
                 [&] { return b_.book.cancel("o1", std::string("line\nbreak")); });
  // A rider who picked up a cancelled order cannot report it either.
  b_.place("o2");
  auto offer2 = b_.offer("rider-2", {"o2"});
  ASSERT_TRUE(b_.book.answer(offer2, "rider-2", true).ok());
  ASSERT_TRUE(b_.book.cancel("o2", "").ok());
  expect_refused("pick_up", "invalid_transition", ErrorCode::kConflict,
                 [&] {
                   return b_.book.pick_up({"o2", "rider-2", false, 0, 0});
                 },
                 {"o2"});
}

TEST_F(OrderBookTest, ClosedOrdersLeaveMemoryButStayReadableAndUnique) {
  MemoryOrderStore store;
  OrderBookOptions options;
  options.max_closed_in_memory = 2;
  Bench b(store, options);
  for (const char* id : {"o1", "o2", "o3"}) {
    b.place(id, std::string("key-") + id);
    ASSERT_TRUE(b.book.cancel(id, "").ok());
  }
  EXPECT_EQ(b.book.find("o1"), nullptr);  // evicted
  EXPECT_NE(b.book.find("o3"), nullptr);
  auto view = b.book.view("o1");
  ASSERT_TRUE(view.ok()) << view.error().describe();
  EXPECT_EQ(view->state(), v1::ORDER_STATE_CANCELLED);
  // Still unique, and its key still answers a retry, from the store.
  auto dup = b.book.create(request("o1", b.clock.wall_ms()), "");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(reject_reason(dup.error()), "duplicate_order_id");
  auto retry = b.book.create(request("o1", kT0), "key-o1");
  ASSERT_TRUE(retry.ok()) << retry.error().describe();
  EXPECT_TRUE(retry->transition.duplicate);
  EXPECT_EQ(retry->order.state, OrderState::kCancelled);
  EXPECT_TRUE(b.book.cancel("o1", "")->duplicate);
  EXPECT_EQ(b.book.view("nope").error().code, ErrorCode::kNotFound);
}

TEST_F(OrderBookTest, MerchantsAreValidatedAndMovingOneKeepsOrdersPickupPoint) {
  b_.place("o1");
  auto moved = b_.merchants.put(Merchant{"m-pizza", "Pizza Corner", 52.5, 13.3});
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, MerchantDirectory::Write::kUpdated);
  EXPECT_EQ(*b_.merchants.put(Merchant{"m-pizza", "Pizza Corner", 52.5, 13.3}), MerchantDirectory::Write::kUnchanged);
  EXPECT_EQ(b_.book.find("o1")->pickup_lat, pizza().lat);
  EXPECT_EQ(b_.place("o2").pickup_lat, 52.5);

  for (const auto& [bad, reason] : std::vector<std::pair<Merchant, std::string>>{
           {{"", "x", 1, 1}, "invalid_merchant_id"},
           {{"m/1", "x", 1, 1}, "invalid_merchant_id"},
           {{"m.1", "x", 1, 1}, "invalid_merchant_id"},
           {{"m1", "", 1, 1}, "invalid_name"},
           {{"m1", "tab\there", 1, 1}, "invalid_name"},
           {{"m1", "x", 95, 1}, "invalid_coordinates"},
           {{"m1", "x", 0, 0}, "invalid_coordinates"},
       }) {
    auto put = b_.merchants.put(bad);
    ASSERT_FALSE(put.ok()) << reason;
    EXPECT_EQ(reject_reason(put.error()), reason);
    EXPECT_EQ(b_.metrics.counter_value("tw_dispatch_rejects_total", {{"op", "merchant"}, {"reason", reason}}) > 0,
              true);
  }
  EXPECT_EQ(b_.merchants.size(), 1u);
  store_.fail_writes_ForTest(1);
  EXPECT_EQ(b_.merchants.put(Merchant{"m-new", "New", 1, 1}).error().code, ErrorCode::kIo);
  EXPECT_EQ(b_.merchants.find("m-new"), nullptr);
}

TEST_F(OrderBookTest, StatsAndGaugesFollowTheStates) {
  b_.place("o1");
  b_.place("o2");
  ASSERT_TRUE(b_.book.cancel("o2", "").ok());
  v1::DispatchStats stats;
  b_.book.fill_stats(stats);
  EXPECT_EQ(stats.orders_created(), 1u);
  EXPECT_EQ(stats.orders_cancelled(), 1u);
  EXPECT_EQ(stats.merchants(), 1u);
  auto text = b_.metrics.render_prometheus();
  EXPECT_NE(text.find("tw_dispatch_orders{state=\"created\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("tw_dispatch_orders{state=\"cancelled\"} 1"), std::string::npos) << text;
}

}  // namespace
}  // namespace tidewire::dispatch

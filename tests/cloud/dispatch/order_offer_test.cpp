// OrderBook offers: offer, accept, decline, expiry on a ManualClock, bundles, and the
// answers that must be refused without any change (wrong rider, stale, late, unknown).
#include "tests/cloud/dispatch/order_test_support.hpp"

namespace tidewire::dispatch {
namespace {

using namespace testing;

class OrderOfferTest : public OrderBookFixture {};

TEST_F(OrderOfferTest, OfferCarriesEverythingTheRiderNeedsAndExpiresOnSchedule) {
  b_.place("o1");
  auto made = b_.book.offer("rider-1", {{"o1", kT0 + 5 * kMinute, kT0 + 20 * kMinute}});
  ASSERT_TRUE(made.ok()) << made.error().describe();
  const v1::Offer& m = made->message;
  EXPECT_EQ(m.offer_id(), "offer-1");
  EXPECT_EQ(m.rider_id(), "rider-1");
  EXPECT_EQ(m.expires_ms(), kT0 + OrderBookOptions{}.offer_timeout_ms);
  EXPECT_EQ(m.state(), v1::OFFER_STATE_PENDING);
  ASSERT_EQ(m.legs_size(), 1);
  EXPECT_EQ(m.legs(0).merchant_name(), "Pizza Corner");
  EXPECT_EQ(m.legs(0).pickup_lat(), pizza().lat);
  EXPECT_EQ(m.legs(0).dropoff_lat(), 52.535);
  EXPECT_EQ(m.legs(0).eta_dropoff_ms(), kT0 + 20 * kMinute);
  EXPECT_TRUE(has_notification(made->transition, Audience::kCustomer, "cust-1", "offered"));
  EXPECT_EQ(b_.state("o1"), OrderState::kOffered);
  EXPECT_EQ(b_.book.waiting_count(), 0u);
  EXPECT_EQ(b_.book.pending_offer_of_rider("rider-1")->offer_id, "offer-1");
  EXPECT_EQ(b_.book.next_offer_expiry_ms(), m.expires_ms());
  EXPECT_EQ(b_.book.find("o1")->offers_made, 1u);
}

TEST_F(OrderOfferTest, AcceptAssignsTellsCustomerAndMerchantWithEtas) {
  b_.place("o1");
  auto id = b_.offer("rider-1", {"o1"});
  b_.clock.advance_ms(3'000);
  auto t = b_.book.answer(id, "rider-1", true);
  ASSERT_TRUE(t.ok()) << t.error().describe();
  EXPECT_TRUE(has_notification(*t, Audience::kCustomer, "cust-1", "assigned"));
  EXPECT_TRUE(has_notification(*t, Audience::kMerchant, "m-pizza", "assigned"));
  const Order* o = b_.book.find("o1");
  EXPECT_EQ(o->state, OrderState::kAssigned);
  EXPECT_EQ(o->rider_id, "rider-1");
  EXPECT_EQ(o->assigned_ms, kT0 + 3'000);
  EXPECT_EQ(o->eta_pickup_ms, kT0 + 5 * kMinute);
  EXPECT_TRUE(o->offer_id.empty());
  for (const auto& n : t->notifications) EXPECT_EQ(n.eta_dropoff_ms, kT0 + 20 * kMinute);
  EXPECT_EQ(b_.book.pending_offer_count(), 0u);
  EXPECT_FALSE(b_.book.next_offer_expiry_ms().has_value());
  EXPECT_EQ(b_.book.offer_count(OfferState::kAccepted), 1u);
  EXPECT_EQ(b_.metrics.counter_value("tw_dispatch_offers_total", {{"outcome", "accepted"}}), 1u);

  // The same accept again (a re-sent answer) changes nothing and assigns nothing twice.
  auto again = b_.book.answer(id, "rider-1", true);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_TRUE(again->notifications.empty());
  // Changing its mind after accepting is a stale answer.
  expect_refused("answer", "offer_resolved", ErrorCode::kConflict,
                 [&] { return b_.book.answer(id, "rider-1", false); });
}

TEST_F(OrderOfferTest, DeclineReturnsTheOrderToDispatchWithoutThatRider) {
  b_.place("o1");
  auto id = b_.offer("rider-1", {"o1"});
  auto t = b_.book.answer(id, "rider-1", false);
  ASSERT_TRUE(t.ok()) << t.error().describe();
  EXPECT_TRUE(has_notification(*t, Audience::kCustomer, "cust-1", "offer_declined"));
  const Order* o = b_.book.find("o1");
  EXPECT_EQ(o->state, OrderState::kCreated);
  EXPECT_EQ(o->declined_riders, std::vector<std::string>{"rider-1"});
  EXPECT_TRUE(o->excludes("rider-1"));
  EXPECT_EQ(b_.book.waiting_count(), 1u);
  EXPECT_EQ(b_.book.waiting().front()->order_id, "o1");

  expect_refused("offer", "rider_excluded", ErrorCode::kConflict, [&] {
    return b_.book.offer("rider-1", {{"o1", 0, 0}});
  });
  auto second = b_.offer("rider-2", {"o1"});
  EXPECT_EQ(second, "offer-2");
  EXPECT_EQ(b_.book.find("o1")->offers_made, 2u);
  EXPECT_TRUE(b_.book.answer(second, "rider-2", true).ok());
  EXPECT_TRUE(b_.book.answer(id, "rider-1", false)->duplicate);  // the old decline, re-sent
}

TEST_F(OrderOfferTest, UnansweredOfferTimesOutOnTheManualClock) {
  b_.place("o1");
  b_.place("o2");
  auto id1 = b_.offer("rider-1", {"o1"});
  b_.clock.advance_ms(10'000);
  auto id2 = b_.offer("rider-2", {"o2"});

  b_.clock.advance_ms(OrderBookOptions{}.offer_timeout_ms - 10'001);  // 1 ms before the first expiry
  auto none = b_.book.expire_offers();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->notifications.empty());
  EXPECT_EQ(b_.state("o1"), OrderState::kOffered);

  b_.clock.advance_ms(1);
  auto first = b_.book.expire_offers();
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(b_.state("o1"), OrderState::kCreated);
  EXPECT_EQ(b_.state("o2"), OrderState::kOffered);
  EXPECT_TRUE(has_notification(*first, Audience::kCustomer, "cust-1", "offer_timed_out"));
  EXPECT_TRUE(has_notification(*first, Audience::kRider, "rider-1", "offer_timed_out"));
  EXPECT_EQ(b_.book.find("o1")->timed_out_riders, std::vector<std::string>{"rider-1"});
  EXPECT_EQ(b_.book.next_offer_expiry_ms(), b_.book.pending_offer(id2)->expires_ms);

  // The late accept is refused and counted, and assigns nothing.
  expect_refused("answer", "offer_expired", ErrorCode::kConflict, [&] { return b_.book.answer(id1, "rider-1", true); });
  expect_refused("offer", "rider_excluded", ErrorCode::kConflict, [&] {
    return b_.book.offer("rider-1", {{"o1", 0, 0}});
  });

  b_.clock.advance_ms(10'000);
  ASSERT_TRUE(b_.book.expire_offers().ok());
  EXPECT_EQ(b_.state("o2"), OrderState::kCreated);
  EXPECT_EQ(b_.book.offer_count(OfferState::kTimedOut), 2u);
  EXPECT_EQ(b_.metrics.counter_value("tw_dispatch_offers_total", {{"outcome", "timed_out"}}), 2u);
}

TEST_F(OrderOfferTest, AnswerAtExpiryBeforeTheSweepIsRefusedAndChangesNothing) {
  b_.place("o1");
  auto id = b_.offer("rider-1", {"o1"});
  b_.clock.advance_ms(OrderBookOptions{}.offer_timeout_ms);
  expect_refused("answer", "offer_expired", ErrorCode::kConflict, [&] { return b_.book.answer(id, "rider-1", true); });
  EXPECT_EQ(b_.state("o1"), OrderState::kOffered);  // the sweep, not the answer, moves it
  ASSERT_TRUE(b_.book.expire_offers().ok());
  EXPECT_EQ(b_.state("o1"), OrderState::kCreated);
}

TEST_F(OrderOfferTest, AnswersFromTheWrongRiderOrForUnknownOffersAreRefused) {
  b_.place("o1");
  auto id = b_.offer("rider-1", {"o1"});
  expect_refused("answer", "wrong_rider", ErrorCode::kConflict, [&] { return b_.book.answer(id, "rider-2", true); });
  expect_refused("answer", "wrong_rider", ErrorCode::kConflict, [&] { return b_.book.answer(id, "rider-2", false); });
  expect_refused("answer", "unknown_offer", ErrorCode::kNotFound,
                 [&] { return b_.book.answer("offer-77", "rider-1", true); });
  expect_refused("answer", "invalid_rider_id", ErrorCode::kInvalidArgument,
                 [&] { return b_.book.answer(id, "rider 1", true); });
  EXPECT_EQ(b_.book.pending_offer(id)->rider_id, "rider-1");
  ASSERT_TRUE(b_.book.answer(id, "rider-1", true).ok());
  // After the offer is resolved, the wrong rider is still the wrong rider.
  expect_refused("answer", "wrong_rider", ErrorCode::kConflict, [&] { return b_.book.answer(id, "rider-2", true); });
}

TEST_F(OrderOfferTest, OffersThatCannotBeMadeAreRefused) {
  b_.place("o1");
  b_.place("o2");
  expect_refused("offer", "empty_offer", ErrorCode::kInvalidArgument, [&] { return b_.book.offer("rider-1", {}); });
  expect_refused("offer", "unknown_order", ErrorCode::kNotFound,
                 [&] {
                   return b_.book.offer("rider-1", {{"o1", 0, 0}, {"o9", 0, 0}});
                 },
                 {"o1", "o2"});
  expect_refused("offer", "order_repeated_in_offer", ErrorCode::kInvalidArgument, [&] {
    return b_.book.offer("rider-1", {{"o1", 0, 0}, {"o1", 0, 0}});
  });
  expect_refused("offer", "invalid_eta", ErrorCode::kInvalidArgument, [&] {
    return b_.book.offer("rider-1", {{"o1", kT0 + 10, kT0 + 5}});
  });
  expect_refused("offer", "too_many_orders_in_offer", ErrorCode::kInvalidArgument, [&] {
    return b_.book.offer("rider-1", {{"a", 0, 0}, {"b", 0, 0}, {"c", 0, 0}, {"d", 0, 0}, {"e", 0, 0}});
  });
  expect_refused("offer", "invalid_rider_id", ErrorCode::kInvalidArgument, [&] {
    return b_.book.offer("", {{"o1", 0, 0}});
  });
  auto id = b_.offer("rider-1", {"o1"});
  expect_refused("offer", "rider_has_offer", ErrorCode::kConflict,
                 [&] {
                   return b_.book.offer("rider-1", {{"o2", 0, 0}});
                 },
                 {"o1", "o2"});
  expect_refused("offer", "invalid_transition", ErrorCode::kConflict, [&] {
    return b_.book.offer("rider-2", {{"o1", 0, 0}});
  });
  ASSERT_TRUE(b_.book.answer(id, "rider-1", true).ok());
  expect_refused("offer", "invalid_transition", ErrorCode::kConflict, [&] {
    return b_.book.offer("rider-2", {{"o1", 0, 0}});
  });
}

TEST_F(OrderOfferTest, AnOrderIsOfferedAtMostTheConfiguredNumberOfTimes) {
  MemoryOrderStore store;
  OrderBookOptions options;
  options.max_offers_per_order = 3;
  Bench b(store, options);
  b.place("o1");
  for (int i = 0; i < 3; ++i) {
    auto id = b.offer("rider-" + std::to_string(i), {"o1"});
    ASSERT_TRUE(b.book.answer(id, "rider-" + std::to_string(i), false).ok());
  }
  auto fourth = b.book.offer("rider-9", {{"o1", 0, 0}});
  ASSERT_FALSE(fourth.ok());
  EXPECT_EQ(reject_reason(fourth.error()), "offer_limit");
  EXPECT_EQ(b.book.find("o1")->timeline.size(), 7u);  // created + 3 x (offered, declined)
}

TEST_F(OrderOfferTest, ABundleIsAcceptedOrDeclinedWhole) {
  b_.place("o1");
  b_.place("o2");
  b_.place("o3");
  auto made = b_.book.offer("rider-1", {{"o1", 0, 0}, {"o2", 0, 0}});
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made->message.legs_size(), 2);
  ASSERT_TRUE(b_.book.answer(made->offer.offer_id, "rider-1", false).ok());
  EXPECT_EQ(b_.state("o1"), OrderState::kCreated);
  EXPECT_EQ(b_.state("o2"), OrderState::kCreated);

  auto second = b_.book.offer("rider-2", {{"o1", 0, 0}, {"o2", 0, 0}});
  ASSERT_TRUE(second.ok());
  // One order of the bundle is cancelled: the offer keeps the other.
  ASSERT_TRUE(b_.book.cancel("o1", "").ok());
  ASSERT_EQ(b_.book.pending_offer(second->offer.offer_id)->legs.size(), 1u);
  auto accepted = b_.book.answer(second->offer.offer_id, "rider-2", true);
  ASSERT_TRUE(accepted.ok());
  EXPECT_EQ(b_.state("o1"), OrderState::kCancelled);
  EXPECT_EQ(b_.state("o2"), OrderState::kAssigned);

  // Bundling onto a rider already carrying an order.
  auto more = b_.offer("rider-2", {"o3"});
  ASSERT_TRUE(b_.book.answer(more, "rider-2", true).ok());
  EXPECT_EQ(b_.book.orders_of_rider("rider-2").size(), 2u);
}

TEST_F(OrderOfferTest, ExpiryWorkIsBoundedPerCall) {
  MemoryOrderStore store;
  OrderBookOptions options;
  options.max_expiries_per_call = 2;
  Bench b(store, options);
  for (int i = 0; i < 5; ++i) {
    b.place("o" + std::to_string(i));
    b.offer("rider-" + std::to_string(i), {"o" + std::to_string(i)});
  }
  b.clock.advance_ms(options.offer_timeout_ms);
  ASSERT_TRUE(b.book.expire_offers().ok());
  EXPECT_EQ(b.book.pending_offer_count(), 3u);
  ASSERT_TRUE(b.book.expire_offers().ok());
  ASSERT_TRUE(b.book.expire_offers().ok());
  EXPECT_EQ(b.book.pending_offer_count(), 0u);
  EXPECT_EQ(b.book.waiting_count(), 5u);
}

TEST_F(OrderOfferTest, AFailedExpiryWriteKeepsTheOffersAndTheNextSweepRetries) {
  b_.place("o1");
  auto id = b_.offer("rider-1", {"o1"});
  b_.clock.advance_ms(OrderBookOptions{}.offer_timeout_ms);
  store_.fail_writes_ForTest(1);
  EXPECT_FALSE(b_.book.expire_offers().ok());
  EXPECT_NE(b_.book.pending_offer(id), nullptr);
  EXPECT_EQ(b_.state("o1"), OrderState::kOffered);
  ASSERT_TRUE(b_.book.expire_offers().ok());
  EXPECT_EQ(b_.state("o1"), OrderState::kCreated);
}

}  // namespace
}  // namespace tidewire::dispatch

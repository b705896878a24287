// Dispatcher::on_merchant_event with fakes and a ManualClock: orders placed by merchant
// terminals over MQTT, their identity rule, idempotency and the answer on the merchant's
// update topic.
#include <gtest/gtest.h>

#include "dispatcher_test_support.hpp"
#include "sqlite/sqlite_registry.hpp"
#include "tests/cloud/cloud_test_support.hpp"
#include "tests/fakes/fake_transport.hpp"
#include "tidewire/cloud/batch_ingest.hpp"
#include "tidewire/dispatch/dispatcher_outputs.hpp"
#include "tidewire/protocols/batch_frame.hpp"
#include "tidewire/protocols/codec.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::dispatch {
namespace {

using testing::DispatcherFixture;
using testing::kT0;
using testing::north;

constexpr double kLat = 52.0;
constexpr double kLon = 13.0;

struct MerchantOrderTest : ::testing::Test, DispatcherFixture {
  void SetUp() override {
    ASSERT_TRUE(dispatcher.put_merchant({"m1", "Noodles", kLat, kLon}));
    ASSERT_TRUE(dispatcher.put_merchant({"m2", "Dumplings", north(kLat, 800), kLon}));
  }

  // What a merchant terminal's outbox would send: Event "order.create" with the request
  // as its body. merchant_id is left empty unless the test sets it ("me").
  static v1::Envelope create_event(const v1::OrderRequest& request, uint64_t seq, const std::string& device = "m1",
                                   v1::DeviceKind kind = v1::DEVICE_KIND_MERCHANT) {
    v1::Envelope e;
    e.set_device_id(device);
    e.set_kind(kind);
    e.set_site("site-1");
    e.set_boot_id("0123456789abcdef");
    e.set_seq(seq);
    e.mutable_event()->set_type("order.create");
    e.mutable_event()->set_priority(v1::PRIORITY_HIGH);
    e.mutable_event()->set_body(request.SerializeAsString());
    return e;
  }
  static v1::OrderRequest request(const std::string& order_id, double lat = 52.02) {
    return testing::order_request(order_id, "", lat);
  }

  // The answers the terminal got, in order.
  std::vector<v1::OrderUpdate> answers(const std::string& merchant = "m1") const {
    std::vector<v1::OrderUpdate> out;
    for (const auto& u : updates.updates)
      if (u.audience == Audience::kMerchant && u.recipient == merchant) out.push_back(u.update);
    return out;
  }
  uint64_t rejects(const std::string& op, const std::string& reason) const {
    return metrics.counter_value("tw_dispatch_rejects_total", {{"op", op}, {"reason", reason}});
  }
  uint64_t outcomes(const std::string& outcome) const {
    return metrics.counter_value("tw_dispatch_merchant_orders_total", {{"outcome", outcome}});
  }
};

TEST_F(MerchantOrderTest, CreatesTheOrderForTheMerchantTheDeviceIsAndTellsIt) {
  dispatcher.on_merchant_event(create_event(request("o1"), 1));

  auto view = dispatcher.view_order("o1");
  ASSERT_TRUE(view.ok()) << view.error().message;
  EXPECT_EQ(view->merchant_id(), "m1");
  EXPECT_EQ(view->state(), v1::ORDER_STATE_CREATED);  // no rider to offer it to
  EXPECT_EQ(view->pickup_lat(), kLat);                // the merchant's place, as for HTTP
  EXPECT_EQ(view->placed_ms(), kT0);                  // placed_ms 0 = when the cloud got it
  auto got = answers();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].event(), "created");
  EXPECT_EQ(got[0].order_id(), "o1");
  EXPECT_EQ(got[0].state(), v1::ORDER_STATE_CREATED);
  EXPECT_TRUE(got[0].reason().empty());
  EXPECT_TRUE(updates.has(Audience::kCustomer, "cust-o1", "created"));
  EXPECT_EQ(outcomes("created"), 1u);
  EXPECT_EQ(metrics.counter_value("tw_dispatch_updates_total", {{"audience", "merchant"}}), 1u);
}

TEST_F(MerchantOrderTest, AnExplicitMerchantIdOfItsOwnIsAccepted) {
  auto r = request("o1");
  r.set_merchant_id("m1");
  dispatcher.on_merchant_event(create_event(r, 1));
  EXPECT_TRUE(dispatcher.view_order("o1").ok());
}

TEST_F(MerchantOrderTest, InstantPolicyOffersItLikeAnHttpOrder) {
  dispatcher.on_rider_status("r1", testing::rider_status(north(kLat, 300), kLon), clock.wall_ms());
  dispatcher.on_merchant_event(create_event(request("o1"), 1));
  ASSERT_EQ(sender.sent.size(), 1u);
  EXPECT_EQ(sender.sent[0].rider_id, "r1");
  ASSERT_EQ(answers().size(), 1u);
  EXPECT_EQ(answers()[0].state(), v1::ORDER_STATE_OFFERED);  // the answer says where it is now
}

TEST_F(MerchantOrderTest, ARedeliveredEventCreatesOnceEvenLater) {
  dispatcher.on_rider_status("r1", testing::rider_status(north(kLat, 300), kLon), clock.wall_ms());
  auto event = create_event(request("o1"), 7);
  dispatcher.on_merchant_event(event);
  clock.advance_ms(60'000);  // placed_ms 0 must not make the copy a different request
  dispatcher.on_merchant_event(event);

  EXPECT_EQ(dispatcher.book().count(OrderState::kOffered), 1u);
  EXPECT_EQ(dispatcher.book().count(OrderState::kCreated), 0u);
  EXPECT_EQ(sender.sent.size(), 1u);  // offered once
  EXPECT_EQ(dispatcher.view_order("o1")->placed_ms(), kT0);
  EXPECT_EQ(outcomes("created"), 1u);
  EXPECT_EQ(outcomes("duplicate"), 1u);
  EXPECT_EQ(metrics.counter_value("tw_dispatch_duplicates_total", {{"op", "create"}}), 1u);
  auto got = answers();
  ASSERT_EQ(got.size(), 2u);  // a re-delivered copy is answered again
  EXPECT_EQ(got[1].event(), "created");
  EXPECT_EQ(got[1].order_id(), "o1");
}

TEST_F(MerchantOrderTest, TheIdempotencyKeyAttributeAbsorbsARetryUnderANewSeq) {
  auto first = create_event(request("o1"), 1);
  (*first.mutable_event()->mutable_attributes())["idempotency_key"] = "till-4-ticket-99";
  auto retry = first;
  retry.set_seq(2);  // the person pressed "send" again: a new event
  dispatcher.on_merchant_event(first);
  dispatcher.on_merchant_event(retry);
  EXPECT_EQ(dispatcher.book().count(OrderState::kCreated), 1u);
  EXPECT_EQ(outcomes("duplicate"), 1u);
  EXPECT_EQ(rejects("create", "duplicate_order_id"), 0u);
}

TEST_F(MerchantOrderTest, ADifferentRequestWithATakenOrderIdIsRefusedAndReported) {
  dispatcher.on_merchant_event(create_event(request("o1"), 1));
  dispatcher.on_merchant_event(create_event(request("o1", 52.05), 2));

  EXPECT_EQ(dispatcher.view_order("o1")->dropoff_lat(), 52.02);  // the first one stands
  EXPECT_EQ(rejects("create", "duplicate_order_id"), 1u);
  EXPECT_EQ(outcomes("refused"), 1u);
  auto got = answers();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].event(), "refused");
  EXPECT_EQ(got[1].order_id(), "o1");
  EXPECT_EQ(got[1].state(), v1::ORDER_STATE_UNSPECIFIED);
  EXPECT_EQ(got[1].reason(), "duplicate_order_id");
  EXPECT_NE(got[1].detail().find("already exists"), std::string::npos) << got[1].detail();

  // The same key with a different request is a conflict, not a second order.
  auto a = create_event(request("o2"), 3);
  (*a.mutable_event()->mutable_attributes())["idempotency_key"] = "k1";
  auto b = create_event(request("o3"), 4);
  (*b.mutable_event()->mutable_attributes())["idempotency_key"] = "k1";
  dispatcher.on_merchant_event(a);
  dispatcher.on_merchant_event(b);
  EXPECT_FALSE(dispatcher.view_order("o3").ok());
  EXPECT_EQ(rejects("create", "idempotency_conflict"), 1u);
  EXPECT_EQ(answers().back().reason(), "idempotency_conflict");
}

TEST_F(MerchantOrderTest, KeysAreScopedToTheTerminal) {
  // Two merchants using the same key for their own orders do not collide.
  auto a = create_event(request("o1"), 1, "m1");
  (*a.mutable_event()->mutable_attributes())["idempotency_key"] = "ticket-1";
  auto b = create_event(request("o2"), 1, "m2");
  (*b.mutable_event()->mutable_attributes())["idempotency_key"] = "ticket-1";
  dispatcher.on_merchant_event(a);
  dispatcher.on_merchant_event(b);
  EXPECT_EQ(dispatcher.view_order("o1")->merchant_id(), "m1");
  EXPECT_EQ(dispatcher.view_order("o2")->merchant_id(), "m2");
  EXPECT_EQ(outcomes("created"), 2u);
}

TEST_F(MerchantOrderTest, ATerminalCannotPlaceOrdersForAnotherMerchant) {
  auto r = request("o1");
  r.set_merchant_id("m2");  // registered, but not who this terminal is
  dispatcher.on_merchant_event(create_event(r, 1, "m1"));

  EXPECT_FALSE(dispatcher.view_order("o1").ok());
  EXPECT_EQ(rejects("merchant_order", "merchant_mismatch"), 1u);
  EXPECT_TRUE(answers("m2").empty());  // the merchant it pretended to be hears nothing
  auto got = answers("m1");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].event(), "refused");
  EXPECT_EQ(got[0].reason(), "merchant_mismatch");
  EXPECT_EQ(got[0].order_id(), "o1");
  EXPECT_EQ(updates.updates.size(), 1u);  // no customer was told anything
}

TEST_F(MerchantOrderTest, OnlyMerchantDevicesPlaceOrders) {
  dispatcher.on_merchant_event(create_event(request("o1"), 1, "m1", v1::DEVICE_KIND_RIDER));
  EXPECT_FALSE(dispatcher.view_order("o1").ok());
  EXPECT_EQ(rejects("merchant_order", "not_a_merchant"), 1u);
  EXPECT_TRUE(updates.updates.empty());
}

TEST_F(MerchantOrderTest, AMissingOrUnreadableBodyIsRefusedAndCounted) {
  auto garbage = create_event(request("o1"), 1);
  garbage.mutable_event()->set_body(std::string("\xff\xff\xff\xff\xff", 5));
  auto empty = create_event(request("o1"), 2);
  empty.mutable_event()->clear_body();
  auto huge = create_event(request("o1"), 3);
  huge.mutable_event()->set_body(std::string(codec::kMaxEventBodyBytes + 1, '\x08'));
  for (const auto& e : {garbage, empty, huge}) dispatcher.on_merchant_event(e);

  EXPECT_FALSE(dispatcher.view_order("o1").ok());
  EXPECT_EQ(rejects("merchant_order", "bad_order_request"), 3u);
  EXPECT_EQ(outcomes("refused"), 3u);
  auto got = answers();
  ASSERT_EQ(got.size(), 3u);
  for (const auto& u : got) {
    EXPECT_EQ(u.event(), "refused");
    EXPECT_EQ(u.reason(), "bad_order_request");
    EXPECT_FALSE(u.detail().empty());
  }
}

TEST_F(MerchantOrderTest, TheBookChecksApplyAsForHttp) {
  dispatcher.on_merchant_event(create_event(request("o1", 0.0), 1));  // with lon 13: fine
  auto bad = request("o2");
  bad.set_dropoff_lat(95);
  dispatcher.on_merchant_event(create_event(bad, 2));
  auto future = request("o3");
  future.set_placed_ms(kT0 + 3'600'000);
  dispatcher.on_merchant_event(create_event(future, 3));
  // A terminal whose merchant was never registered (POST /v1/merchants).
  dispatcher.on_merchant_event(create_event(request("o4"), 1, "m9"));

  EXPECT_TRUE(dispatcher.view_order("o1").ok());
  EXPECT_EQ(rejects("create", "invalid_coordinates"), 1u);
  EXPECT_EQ(rejects("create", "placed_in_future"), 1u);
  EXPECT_EQ(rejects("create", "unknown_merchant"), 1u);
  EXPECT_EQ(answers().back().reason(), "placed_in_future");
  ASSERT_EQ(answers("m9").size(), 1u);
  EXPECT_EQ(answers("m9")[0].reason(), "unknown_merchant");
  // Refused by the book: counted once, under the book's op, not again as merchant_order.
  EXPECT_EQ(metrics.counter_total("tw_dispatch_rejects_total"), 3u);
}

TEST_F(MerchantOrderTest, ABadIdempotencyKeyAttributeIsRefused) {
  auto e = create_event(request("o1"), 1);
  (*e.mutable_event()->mutable_attributes())["idempotency_key"] = std::string(61, 'k');
  dispatcher.on_merchant_event(e);
  (*e.mutable_event()->mutable_attributes())["idempotency_key"] = "has space";
  dispatcher.on_merchant_event(e);
  EXPECT_FALSE(dispatcher.view_order("o1").ok());
  EXPECT_EQ(rejects("merchant_order", "invalid_idempotency_key"), 2u);
  (*e.mutable_event()->mutable_attributes())["idempotency_key"] = std::string(60, 'k');
  dispatcher.on_merchant_event(e);
  EXPECT_TRUE(dispatcher.view_order("o1").ok());
}

TEST_F(MerchantOrderTest, OtherMerchantEventsAreNotOrders) {
  auto e = create_event(request("o1"), 1);
  e.mutable_event()->set_type("order.note");
  dispatcher.on_merchant_event(e);
  EXPECT_FALSE(dispatcher.view_order("o1").ok());
  EXPECT_TRUE(updates.updates.empty());
  EXPECT_EQ(metrics.counter_total("tw_dispatch_rejects_total"), 0u);
}

// The same path through the real ingest (SQLite registry): BatchIngest hands merchant
// order events to the dispatcher, re-delivered batches included, and never an item it
// refused.
TEST_F(MerchantOrderTest, BatchIngestRoutesOnlyValidMerchantEventsOfItsSite) {
  namespace ct = cloud::testing;
  auto registry = cloud::SqliteRegistry::open({ct::temp_db_path(), 120'000}, clock);
  ASSERT_TRUE(registry) << registry.error().message;
  tidewire::testing::FakeTransport mqtt;
  mqtt.set_connected(true);
  cloud::BatchIngest ingest(**registry, mqtt, metrics, clock);
  cloud::DeviceFeed feed(metrics);
  feed.subscribe(device_subscription(
      [this](DispatchTask task) {
        task(dispatcher);
        return true;
      },
      nullptr));
  ingest.set_feed(feed);
  uint64_t batch_id = 0;
  auto deliver = [&](std::vector<v1::BatchItem> items) {
    auto b = ct::batch("edge-1", ++batch_id, std::move(items), "site-1");
    ingest.process(
        {*topics::edge_topic("edge-1", topics::EdgeChannel::kBatch), codec::encode_batch_frame(b, 0), 1, false});
  };

  auto good = create_event(request("o1"), 1);
  deliver({ct::item(good, kT0)});
  deliver({ct::item(good, kT0)});  // the edge saw no ack and re-sent the batch
  EXPECT_EQ(dispatcher.book().count(OrderState::kCreated), 1u);
  EXPECT_EQ(outcomes("created"), 1u);
  EXPECT_EQ(outcomes("duplicate"), 1u);

  auto other_site = create_event(request("o2"), 2);
  other_site.set_site("site-9");  // this edge relays site-1 only
  auto unnumbered = create_event(request("o3"), 3);
  unnumbered.set_seq(0);
  deliver({ct::item(other_site, kT0), ct::item(unnumbered, kT0)});
  EXPECT_FALSE(dispatcher.view_order("o2").ok());
  EXPECT_FALSE(dispatcher.view_order("o3").ok());
  EXPECT_EQ(outcomes("refused"), 0u);  // never reached the dispatcher
}

}  // namespace
}  // namespace tidewire::dispatch

// The dispatch HTTP API against a real server on an ephemeral port, through the http
// client, with the Dispatcher on its own DispatchLoop thread (fakes for offers/updates).
#include "tidewire/dispatch/dispatch_api.hpp"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "dispatcher_test_support.hpp"
#include "http/client.hpp"
#include "http/server.hpp"
#include "tests/cloud/error_body.hpp"
#include "tests/fakes/fake_gate.hpp"
#include "tidewire/dispatch/dispatcher_loop.hpp"
#include "tidewire/v1/fleet.pb.h"

namespace tidewire::dispatch {
namespace {

class DispatchApiTest : public ::testing::Test, public testing::DispatcherFixture {
 protected:
  void SetUp() override {
    loop.start();
    http::Router router;
    gate = ::tidewire::testing::admit_all(router);
    ASSERT_TRUE(api.install(router));
    http::ServerOptions o;
    o.port = 0;
    o.threads = 2;
    auto started = http::Server::start(o, std::move(router));
    ASSERT_TRUE(started) << started.error().message;
    server = std::move(*started);
  }
  void TearDown() override {
    if (server) server->stop();
    loop.stop();
  }
  http::Response call(const std::string& method, const std::string& target, const std::string& body = "",
                      const http::HeaderList& headers = {}) {
    auto r = http::http_request("127.0.0.1", server->port(), method, target, body, 5000, headers);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : http::Response{599, "", "", {}};
  }
  template <class M>
  M parse(const http::Response& r) {
    M m;
    auto st = google::protobuf::util::JsonStringToMessage(r.body, &m);
    EXPECT_TRUE(st.ok()) << r.body;
    return m;
  }
  std::string reason_of(const http::Response& r) { return parse<v1::ErrorBody>(r).reason(); }
  std::string order_json(const std::string& id, const std::string& extra = "", const std::string& lat = "52.02",
                         const std::string& lon = "13.0") {
    return R"({"order_id":")" + id + R"(","merchant_id":"m1","dropoff_lat":)" + lat + R"(,"dropoff_lon":)" + lon +
           extra + "}";
  }
  void add_merchant() {
    ASSERT_EQ(call("POST", "/v1/merchants", R"({"merchant_id":"m1","name":"Noodles","lat":52.0,"lon":13.0})").status,
              201);
  }

  DispatchLoop loop{dispatcher, clock, metrics, 100};
  DispatchApi api{loop, metrics};
  std::unique_ptr<http::Server> server;
  std::shared_ptr<::tidewire::testing::FakeGate> gate;
};

TEST_F(DispatchApiTest, MerchantCreatedThenUpdated) {
  add_merchant();
  auto again = call("POST", "/v1/merchants", R"({"merchant_id":"m1","name":"Noodles","lat":52.0,"lon":13.0})");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(parse<v1::Merchant>(again).name(), "Noodles");
  auto bad = call("POST", "/v1/merchants", R"({"merchant_id":"m2","name":"X","lat":95.0,"lon":13.0})");
  EXPECT_EQ(bad.status, 400);
}

// Merchant and customer ids become topic levels (tw/v1/dispatch/{audience}/{id}/order),
// where NATS and RabbitMQ cannot carry a '.': refused where they are created, naming the rule.
TEST_F(DispatchApiTest, IdsThatTravelInTopicsRefuseADot) {
  auto merchant = call("POST", "/v1/merchants", R"({"merchant_id":"m.1","name":"Noodles","lat":52.0,"lon":13.0})");
  EXPECT_EQ(merchant.status, 400);
  EXPECT_EQ(reason_of(merchant), "invalid_merchant_id");
  EXPECT_NE(merchant.body.find("merchant_id must be 1-64 characters of [A-Za-z0-9_-] (no '.'"), std::string::npos)
      << merchant.body;
  add_merchant();
  auto customer = call("POST", "/v1/orders", order_json("o1", R"(,"customer_id":"c.1")"));
  EXPECT_EQ(customer.status, 400);
  EXPECT_EQ(reason_of(customer), "invalid_customer_id");
  EXPECT_NE(customer.body.find("[A-Za-z0-9_-] (no '.'"), std::string::npos) << customer.body;
  // Order ids never travel in a topic and keep their dots.
  EXPECT_EQ(call("POST", "/v1/orders", order_json("o.2", R"(,"customer_id":"c-1")")).status, 201);
}

TEST_F(DispatchApiTest, CreateGetAndIdempotentReplay) {
  add_merchant();
  http::HeaderList key{{"Idempotency-Key", "k-1"}};
  auto created = call("POST", "/v1/orders", order_json("o1"), key);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(parse<v1::OrderView>(created).state(), v1::ORDER_STATE_CREATED);
  auto replay = call("POST", "/v1/orders", order_json("o1"), key);
  EXPECT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(parse<v1::OrderView>(replay).order_id(), "o1");
  auto conflict = call("POST", "/v1/orders", order_json("o1", "", "52.03"), key);
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  EXPECT_EQ(reason_of(conflict), "idempotency_conflict");
  auto dup = call("POST", "/v1/orders", order_json("o1"));
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(reason_of(dup), "duplicate_order_id");
  auto got = call("GET", "/v1/orders/o1");
  ASSERT_EQ(got.status, 200);
  auto view = parse<v1::OrderView>(got);
  EXPECT_EQ(view.merchant_id(), "m1");
  EXPECT_DOUBLE_EQ(view.pickup_lat(), 52.0);
  EXPECT_GE(view.timeline_size(), 1);
}

TEST_F(DispatchApiTest, BadOrdersAreRefusedWithTheReason) {
  add_merchant();
  auto unknown = call("POST", "/v1/orders",
                      R"({"order_id":"o1","merchant_id":"nope","dropoff_lat":52.02,"dropoff_lon":13.0})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(reason_of(unknown), "unknown_merchant");
  auto coords = call("POST", "/v1/orders", order_json("o2", "", "52.02", "200.0"));
  EXPECT_EQ(coords.status, 400);
  EXPECT_EQ(reason_of(coords), "invalid_coordinates");
  int64_t placed = clock.wall_ms();
  auto early = call("POST", "/v1/orders",
                    order_json("o3", R"(,"placed_ms":")" + std::to_string(placed) + R"(","ready_ms":")" +
                                         std::to_string(placed - 60'000) + "\""));
  EXPECT_EQ(early.status, 400);
  EXPECT_EQ(reason_of(early), "ready_before_placed");
  auto json = call("POST", "/v1/orders", "{not json");
  EXPECT_EQ(json.status, 400);
  EXPECT_EQ(reason_of(json), "invalid_json");
  auto typo = call("POST", "/v1/orders", R"({"order_idd":"o4"})");
  EXPECT_EQ(typo.status, 400);
  EXPECT_EQ(call("GET", "/v1/orders/missing").status, 404);
  EXPECT_EQ(call("POST", "/v1/orders/missing/cancel").status, 404);
  EXPECT_EQ(call("GET", "/v1/riders/nobody").status, 404);
  // Nothing was created by any of them.
  auto stats = parse<v1::DispatchStats>(call("GET", "/v1/dispatch/stats"));
  EXPECT_EQ(stats.orders_created(), 0u);
  EXPECT_GE(stats.requests_rejected(), 3u);
  EXPECT_NE(metrics.render_prometheus().find("reason=\"invalid_json\""), std::string::npos);
}

TEST_F(DispatchApiTest, ErrorsHaveTheOneBodyShapeWithAReason) {
  using tidewire::testing::expect_error_body;
  add_merchant();
  expect_error_body(call("POST", "/v1/orders", "{not json"), 400, "invalid_json");
  expect_error_body(call("POST", "/v1/orders", R"({"order_idd":"o4"})"), 400, "unknown_key");
  expect_error_body(call("GET", "/v1/orders/missing"), 404, "unknown_order");
  expect_error_body(call("GET", "/v1/riders/nobody"), 404, "unknown_rider");
  http::HeaderList key{{"Idempotency-Key", "k-9"}};
  ASSERT_EQ(call("POST", "/v1/orders", order_json("o9"), key).status, 201);
  expect_error_body(call("POST", "/v1/orders", order_json("o9", "", "52.03"), key), 409, "idempotency_conflict");
  // Counts are JSON numbers.
  auto stats = call("GET", "/v1/dispatch/stats").body;
  EXPECT_NE(stats.find(R"("orders_created":1)"), std::string::npos) << stats;
  EXPECT_NE(stats.find(R"("merchants":1)"), std::string::npos) << stats;
}

TEST_F(DispatchApiTest, CancelAndStats) {
  add_merchant();
  ASSERT_EQ(call("POST", "/v1/orders", order_json("o1")).status, 201);
  ASSERT_EQ(call("POST", "/v1/orders", order_json("o2")).status, 201);
  auto cancelled = call("POST", "/v1/orders/o1/cancel?reason=customer");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(parse<v1::OrderView>(cancelled).state(), v1::ORDER_STATE_CANCELLED);
  auto stats = call("GET", "/v1/dispatch/stats");
  ASSERT_EQ(stats.status, 200);
  auto s = parse<v1::DispatchStats>(stats);
  EXPECT_EQ(s.policy(), "instant");
  EXPECT_EQ(s.orders_cancelled(), 1u);
  EXPECT_EQ(s.orders_created(), 1u);
  EXPECT_EQ(s.merchants(), 1u);
}

TEST_F(DispatchApiTest, RiderViewShowsPositionAndOffer) {
  add_merchant();
  ASSERT_TRUE(loop.post([&](Dispatcher& d) {
    d.on_rider_status("r1", testing::rider_status(52.001, 13.0), clock.wall_ms());
  }));
  ASSERT_EQ(call("POST", "/v1/orders", order_json("o1")).status, 201);
  auto r = call("GET", "/v1/riders/r1");
  ASSERT_EQ(r.status, 200) << r.body;
  auto view = parse<v1::RiderView>(r);
  EXPECT_DOUBLE_EQ(view.lat(), 52.001);
  EXPECT_FALSE(view.pending_offer_id().empty());  // the instant policy offered o1 to r1
  EXPECT_EQ(view.offers_received(), 1u);
  EXPECT_EQ(parse<v1::OrderView>(call("GET", "/v1/orders/o1")).state(), v1::ORDER_STATE_OFFERED);
}

}  // namespace
}  // namespace tidewire::dispatch

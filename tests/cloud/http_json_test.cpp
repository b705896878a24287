// The one way cloud routes answer: ErrorBody through protobuf's JSON mapping with one
// status mapping, the router's own refusals in the same bytes, counts as JSON numbers.
#include "tidewire/cloud/http_json.hpp"

#include <gtest/gtest.h>

#include <tuple>

#include "tests/cloud/error_body.hpp"
#include "tidewire/v1/alerts.pb.h"
#include "tidewire/v1/dispatch.pb.h"
#include "tidewire/v1/fleet.pb.h"
#include "tidewire/v1/push.pb.h"

namespace tidewire::cloud {
namespace {

TEST(HttpJsonTest, OneStatusForEveryErrorCode) {
  struct Case {
    ErrorCode code;
    int status;
  };
  for (auto [code, status] :
       {Case{ErrorCode::kInvalidArgument, 400}, Case{ErrorCode::kMalformed, 400}, Case{ErrorCode::kNotFound, 404},
        Case{ErrorCode::kConflict, 409}, Case{ErrorCode::kTooLarge, 413}, Case{ErrorCode::kUnavailable, 503},
        Case{ErrorCode::kTimeout, 504}, Case{ErrorCode::kIo, 500}, Case{ErrorCode::kInternal, 500}}) {
    EXPECT_EQ(http_json::status_for(code), status) << to_string(code);
    auto res = http_json::error(make_error(code, "what went wrong"));
    tidewire::testing::expect_error_body(res, status, to_string(code));  // no reason given: the code's name
  }
}

TEST(HttpJsonTest, ErrorBodyCarriesTheErrorsReasonAndMessage) {
  auto res =
      http_json::error(make_error(ErrorCode::kConflict, "key 'k1' was used for another request", "idempotency_conflict")
                           .with_context("POST /v1/push"));
  tidewire::testing::expect_error_body(res, 409, "idempotency_conflict");
  EXPECT_EQ(res.body,
            R"({"status":409,"error":"conflict","message":"POST /v1/push: key 'k1' was used for another request",)"
            R"("reason":"idempotency_conflict"})");
}

TEST(HttpJsonTest, TheRoutersHandWrittenBodyIsTheSameBytes) {
  for (auto [status, code, reason] : {std::tuple{404, ErrorCode::kNotFound, "no_route"},
                                      std::tuple{400, ErrorCode::kInvalidArgument, "invalid_query"},
                                      std::tuple{500, ErrorCode::kInternal, "internal"}}) {
    std::string message = std::string("it's \"quoted\"\tand\\slashed: ") + reason;
    EXPECT_EQ(http::error_response(status, reason, message).body,
              http_json::error(make_error(code, message, reason)).body);
  }
  tidewire::testing::expect_error_body(http::error_response(405, "method_not_allowed", "DELETE is not supported"), 405,
                                       "method_not_allowed");
}

TEST(HttpJsonTest, ParseTellsAnUnknownKeyFromBrokenJson) {
  v1::CommandRequest request;
  auto typo = http_json::parse(R"({"nme":"reboot"})", request);
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().code, ErrorCode::kMalformed);
  EXPECT_EQ(typo.error().reason, "unknown_key");
  EXPECT_NE(typo.error().message.find("nme"), std::string::npos) << typo.error().message;
  EXPECT_NE(typo.error().message.find("tidewire.v1.CommandRequest"), std::string::npos) << typo.error().message;
  for (const char* bad : {"{not json", "", "[1,2]", R"({"name": 5})", R"({"name":"x"} trailing)"}) {
    auto st = http_json::parse(bad, request);
    ASSERT_FALSE(st) << bad;
    EXPECT_EQ(st.error().reason, "invalid_json") << bad;
  }
  ASSERT_TRUE(http_json::parse(R"({"name":"reboot","timeout_s":30})", request));
  EXPECT_EQ(request.timeout_s(), 30);
}

// Protobuf's parser keeps the last of two equal keys: {"name":"ping","name":"reboot"} would
// create a reboot that a reader of the first key never saw. Every spelling of one field
// counts: escapes, and its proto and JSON names.
TEST(HttpJsonTest, AKeyTwiceInOneObjectIsRefusedHoweverItIsSpelt) {
  v1::CommandRequest request;
  for (const char* twice : {R"({"name":"ping","name":"reboot"})", R"({"name":"ping","na\u006de":"reboot"})",
                            R"({"timeout_s":1,"timeoutS":2,"name":"ping"})",
                            R"({"name":"ping","args":{"pin":"1","pin":"2"}})"}) {
    request.Clear();
    auto st = http_json::parse(twice, request);
    ASSERT_FALSE(st) << twice;
    EXPECT_EQ(st.error().code, ErrorCode::kMalformed) << twice;
    EXPECT_EQ(st.error().reason, "duplicate_key") << twice;
  }
  v1::OrderEvent event;  // a nested message's own fields
  for (const char* twice : {R"({"position":{"lat":1,"lat":2}})", R"({"position":{"lat":1},"position":{"lat":2}})"}) {
    auto st = http_json::parse(twice, event);
    ASSERT_FALSE(st) << twice;
    EXPECT_EQ(st.error().reason, "duplicate_key") << twice;
  }
  // Equal keys in different objects, and key-like text inside values, are fine.
  ASSERT_TRUE(http_json::parse(R"({"name":"{\"name\":1}","args":{"name":"a","x\"y":"b"}})", request));
  EXPECT_EQ(request.name(), R"({"name":1})");
  EXPECT_EQ(request.args().at("name"), "a");
  ASSERT_TRUE(http_json::parse(R"({"position":{"lat":1.5,"lon":2}})", event));
  EXPECT_EQ(event.position().lat(), 1.5);
  // Broken JSON is still the parser's to explain.
  auto broken = http_json::parse(R"({"name":"a" "name":"b"})", request);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().reason, "invalid_json");
}

TEST(HttpJsonTest, CountsAreJsonNumbersAndTimestampsStayStrings) {
  v1::FleetSummary summary;
  summary.set_total(1000);
  summary.set_online(998);
  summary.set_offline(2);
  auto* kind = summary.add_by_kind();
  kind->set_key("poster");
  kind->set_total(1000);
  auto fleet = http_json::message(200, summary).body;
  EXPECT_NE(fleet.find(R"("total":1000,"online":998,"offline":2)"), std::string::npos) << fleet;
  EXPECT_NE(fleet.find(R"({"key":"poster","total":1000,"online":0})"), std::string::npos) << fleet;

  v1::DispatchStats stats;
  stats.set_orders_delivered(42);
  EXPECT_NE(http_json::message(200, stats).body.find(R"("orders_delivered":42)"), std::string::npos);
  v1::NotificationView view;
  view.set_recipients(3);
  (*view.mutable_by_state())["DELIVERY_STATE_QUEUED"] = 3;
  view.set_created_ms(1'700'000'000'000);
  auto push = http_json::message(200, view).body;
  EXPECT_NE(push.find(R"("recipients":3)"), std::string::npos) << push;
  EXPECT_NE(push.find(R"("DELIVERY_STATE_QUEUED":3)"), std::string::npos) << push;
  // Wall-clock ms do not fit 32 bits; protobuf prints 64-bit integers as strings.
  EXPECT_NE(push.find(R"("created_ms":"1700000000000")"), std::string::npos) << push;
}

}  // namespace
}  // namespace tidewire::cloud

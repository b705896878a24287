// The push HTTP API against a real server on port 0: the PushService over SQLite with a
// fake MQTT transport and a ManualClock (no tick thread: nothing here needs a send).
#include "tidewire/push/push_api.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "http/client.hpp"
#include "http/server.hpp"
#include "sqlite/sqlite_push_store.hpp"
#include "tests/cloud/error_body.hpp"
#include "tests/fakes/fake_gate.hpp"
#include "tests/fakes/fake_transport.hpp"

namespace tidewire::push {
namespace {

class PushApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = std::filesystem::temp_directory_path() / ("tw-push-api-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    path_ = (dir / (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".db")).string();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
    auto s = SqlitePushStore::open(path_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    mqtt_.set_connected(true);
    service_ = std::make_unique<PushService>(*store_, mqtt_, nullptr, clock_, random_, metrics_, PushOptions{});
    api_ = std::make_unique<PushApi>(*service_);
    http::Router router;
    gate_ = ::tidewire::testing::admit_all(router);
    ASSERT_TRUE(api_->install(router));
    http::ServerOptions o;
    o.port = 0;
    o.threads = 1;
    auto started = http::Server::start(o, std::move(router));
    ASSERT_TRUE(started) << started.error().message;
    server_ = std::move(*started);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  http::Response call(const std::string& method, const std::string& target, const std::string& body = "",
                      const http::HeaderList& headers = {}) {
    auto r = http::http_request("127.0.0.1", server_->port(), method, target, body, 5000, headers);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : http::Response{599, "", "", {}};
  }

  std::string path_;
  ManualClock clock_;
  SeededRandom random_{7};
  MetricsRegistry metrics_;
  testing::FakeTransport mqtt_;
  PushStorePtr store_;
  std::unique_ptr<PushService> service_;
  std::unique_ptr<PushApi> api_;
  std::unique_ptr<http::Server> server_;
  std::shared_ptr<::tidewire::testing::FakeGate> gate_;
};

constexpr const char* kPush = R"({"recipient_ids":["rider-1"],"title":"Order o1","body":"On the way"})";

TEST_F(PushApiTest, ErrorsHaveTheOneBodyShapeWithAReason) {
  using tidewire::testing::expect_error_body;
  expect_error_body(call("PUT", "/v1/recipients/rider-1", "{not json"), 400, "invalid_json");
  expect_error_body(call("PUT", "/v1/recipients/rider-1", R"({"knd":"RECIPIENT_KIND_RIDER"})"), 400, "unknown_key");
  expect_error_body(call("PUT", "/v1/recipients/rider-1", "{}"), 400, "invalid_kind");
  expect_error_body(call("GET", "/v1/recipients/rider-1"), 404, "unknown_recipient");
  expect_error_body(call("DELETE", "/v1/recipients/rider-1"), 404, "unknown_recipient");
  expect_error_body(call("POST", "/v1/push", kPush), 400, "unknown_recipient");
  expect_error_body(call("GET", "/v1/push/n-nope"), 404, "unknown_notification");

  ASSERT_EQ(call("PUT", "/v1/recipients/rider-1", R"({"kind":"RECIPIENT_KIND_RIDER"})").status, 201);
  http::HeaderList key{{"Idempotency-Key", "k-1"}};
  ASSERT_EQ(call("POST", "/v1/push", kPush, key).status, 202);
  expect_error_body(
      call("POST", "/v1/push", R"({"recipient_ids":["rider-1"],"title":"Order o2","body":"On the way"})", key), 409,
      "idempotency_conflict");
}

// A recipient id is a topic level (tw/v1/push/{recipient}/inbox): NATS refused `rider.43`
// and dropped the cloud's connection on every send; it is refused at registration now.
TEST_F(PushApiTest, RecipientIdsWithADotAreRefusedNamingTheRule) {
  using tidewire::testing::expect_error_body;
  auto res = call("PUT", "/v1/recipients/rider.43", R"({"kind":"RECIPIENT_KIND_RIDER"})");
  expect_error_body(res, 400, "invalid_recipient_id");
  EXPECT_NE(res.body.find("'rider.43' must be 1-64 characters of [A-Za-z0-9_-] (no '.'"), std::string::npos)
      << res.body;
  auto push = call("POST", "/v1/push", R"({"recipient_ids":["rider.43"],"title":"t","body":"b"})");
  expect_error_body(push, 400, "invalid_recipient_id");
  // Tags never travel in a topic and keep their dots.
  EXPECT_EQ(call("PUT", "/v1/recipients/rider-43", R"({"kind":"RECIPIENT_KIND_RIDER","tags":["city.sh"]})").status,
            201);
}

// Server-side request forgery: without an operator's allow-list, a webhook may not point
// at this machine, the metadata service or a private network.
TEST_F(PushApiTest, InternalWebhookTargetsAreRefusedAtRegistration) {
  using tidewire::testing::expect_error_body;
  for (const char* url : {"http://127.0.0.1:8080/hook", "http://localhost/hook", "http://169.254.169.254/latest",
                          "http://10.0.0.5/x", "http://[::1]:9000/", "http://[::ffff:127.0.0.1]/", "http://127.1/",
                          "http://2130706433/", "http://0.0.0.0/", "http://100.64.1.1/", "http://foo.localhost/"}) {
    SCOPED_TRACE(url);
    auto res = call("PUT", "/v1/recipients/hook-1",
                    std::string(R"({"kind":"RECIPIENT_KIND_OPERATOR","webhook_url":")") + url + R"("})");
    expect_error_body(res, 400, "webhook_target_refused");
    EXPECT_NE(res.body.find("push-webhook-allow"), std::string::npos) << res.body;
  }
  auto metadata = call("PUT", "/v1/recipients/hook-1",
                       R"({"kind":"RECIPIENT_KIND_OPERATOR","webhook_url":"http://169.254.169.254/latest"})");
  EXPECT_NE(metadata.body.find("169.254.169.254 is a link_local address"), std::string::npos) << metadata.body;
  EXPECT_EQ(call("GET", "/v1/recipients/hook-1").status, 404);
  EXPECT_EQ(call("PUT", "/v1/recipients/hook-1",
                 R"({"kind":"RECIPIENT_KIND_OPERATOR","webhook_url":"http://hooks.example.com/in"})")
                .status,
            201);
}

TEST_F(PushApiTest, CountsAreJsonNumbers) {
  ASSERT_EQ(call("PUT", "/v1/recipients/rider-1", R"({"kind":"RECIPIENT_KIND_RIDER"})").status, 201);
  auto accepted = call("POST", "/v1/push", kPush);
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  EXPECT_NE(accepted.body.find(R"("recipients":1)"), std::string::npos) << accepted.body;
  v1::PushAccepted a;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(accepted.body, &a).ok());
  auto view = call("GET", "/v1/push/" + a.notification_id());
  ASSERT_EQ(view.status, 200) << view.body;
  EXPECT_NE(view.body.find(R"("recipients":1)"), std::string::npos) << view.body;
  EXPECT_NE(view.body.find(R"("by_state":{"DELIVERY_STATE_QUEUED":1})"), std::string::npos) << view.body;
}

}  // namespace
}  // namespace tidewire::push

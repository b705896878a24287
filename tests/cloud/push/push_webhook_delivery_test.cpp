// The PushService delivering to webhook recipients through the real WebhookSender and a
// real HTTP receiver on a loopback port: a 2xx is the receipt, a 5xx is re-sent with
// backoff, a 404 fails the delivery for good, and none of it touches MQTT recipients.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>

#include "http/server.hpp"
#include "process/process.hpp"
#include "sqlite/sqlite_push_store.hpp"
#include "tests/fakes/fake_transport.hpp"
#include "tidewire/push/push_service.hpp"
#include "webhook_poster.hpp"

namespace tidewire::push {
namespace {

class WebhookDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = std::filesystem::temp_directory_path() / ("tw-push-wh-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto s = SqlitePushStore::open(
        (dir / (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".db")).string());
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    http::Router router;
    ASSERT_TRUE(router
                    .add("POST", "/hook/{code}", http::Access::anyone(),
                         [this](const http::Request& req) {
                           std::lock_guard lock(mu_);
                           keys_.push_back(req.header("idempotency-key"));
                           bodies_.push_back(req.body);
                           return http::Response::json(std::stoi(req.params.at("code")), "{}");
                         })
                    .ok());
    auto server = http::Server::start(http::ServerOptions{}, std::move(router));
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(*server);
    start_service("127.0.0.0/8");  // the receiver is on loopback: allowed as an operator would
    mqtt_.set_connected(true);
  }
  // (Re)starts the sender and the service over the same store, as a cloud restart with
  // another push-webhook-allow would.
  void start_service(const std::string& allow) {
    sender_.reset();
    service_.reset();
    WebhookOptions wo;
    wo.request_timeout_ms = 3'000;
    wo.metrics = &metrics_;
    auto targets = WebhookTargetPolicy::parse(allow);
    ASSERT_TRUE(targets.ok()) << targets.error().message;
    wo.targets = *targets;
    sender_ = std::make_unique<WebhookSender>(wo);
    poster_ = std::make_unique<SenderWebhookPoster>(*sender_);
    service_ = std::make_unique<PushService>(*store_, mqtt_, poster_.get(), clock_, random_, metrics_);
  }
  void TearDown() override {
    sender_.reset();  // its last callbacks reach the service, which still exists
    service_.reset();
    server_.reset();
  }
  void add(const std::string& id, int code, const std::string& host = "127.0.0.1") {
    v1::Recipient r;
    r.set_kind(v1::RECIPIENT_KIND_OPERATOR);
    r.set_webhook_url("http://" + host + ":" + std::to_string(server_->port()) + "/hook/" + std::to_string(code));
    auto put = service_->put_recipient(id, r);
    ASSERT_TRUE(put.ok()) << put.error().message;
  }
  v1::DeliveryState state(const std::string& nid) {
    auto v = service_->view(nid);
    return v.ok() && v->deliveries_size() > 0 ? v->deliveries(0).state() : v1::DELIVERY_STATE_UNSPECIFIED;
  }
  std::string push_to(const std::string& id) {
    v1::PushRequest p;
    p.add_recipient_ids(id);
    p.set_title("Site dark");
    p.set_body("site-1: 60% of devices offline");
    auto a = service_->push(p, "");
    EXPECT_TRUE(a.ok());
    return a.ok() ? a->notification_id() : "";
  }
  size_t posts() {
    std::lock_guard lock(mu_);
    return keys_.size();
  }

  ManualClock clock_;
  SeededRandom random_{3};
  MetricsRegistry metrics_;
  testing::FakeTransport mqtt_;
  std::unique_ptr<PushStore> store_;
  http::ServerPtr server_;
  std::unique_ptr<WebhookSender> sender_;
  std::unique_ptr<SenderWebhookPoster> poster_;
  std::unique_ptr<PushService> service_;
  std::mutex mu_;
  std::vector<std::string> keys_, bodies_;
};

TEST_F(WebhookDeliveryTest, A2xxIsTheReceipt) {
  add("ops", 200);
  auto nid = push_to("ops");
  service_->tick();
  ASSERT_TRUE(process::wait_until([&] { return state(nid) == v1::DELIVERY_STATE_DELIVERED; }, 5'000));
  std::lock_guard lock(mu_);
  ASSERT_EQ(keys_.size(), 1u);
  EXPECT_EQ(keys_[0], nid);  // the receiver can drop a repeated POST by it
  EXPECT_NE(bodies_[0].find("site-1: 60% of devices offline"), std::string::npos);
  EXPECT_TRUE(mqtt_.sent.empty());
}

TEST_F(WebhookDeliveryTest, A5xxIsResentWithBackoffAndA404FailsForGood) {
  add("flaky", 503);
  add("gone", 404);
  auto flaky = push_to("flaky");
  auto gone = push_to("gone");
  service_->tick();
  ASSERT_TRUE(process::wait_until([&] { return state(gone) == v1::DELIVERY_STATE_FAILED; }, 5'000));
  ASSERT_TRUE(process::wait_until([&] { return posts() == 2; }, 5'000));
  EXPECT_EQ(state(flaky), v1::DELIVERY_STATE_SENT);  // waiting for its re-send
  clock_.advance_ms(10'000);
  service_->tick();
  ASSERT_TRUE(process::wait_until([&] { return posts() == 3; }, 5'000));  // flaky again, gone never
  EXPECT_EQ(service_->view(flaky)->deliveries(0).attempts(), 2u);
  EXPECT_EQ(metrics_.counter_value("tw_push_failed_total", {}), 1u);
}

// Server-side request forgery at call time. A URL registered while the operator allowed
// loopback (here the name `localhost`, so only a DNS lookup tells where it goes) is called
// after a restart without the allow-list: the lookup answers 127.0.0.1, the sender refuses
// before connecting, the delivery fails for good saying why, and the refusal is counted.
TEST_F(WebhookDeliveryTest, AnInternalAddressIsRefusedAfterResolutionWhenNoLongerAllowed) {
  add("ops", 200, "localhost");
  start_service("");
  auto nid = push_to("ops");
  service_->tick();
  ASSERT_TRUE(process::wait_until([&] { return state(nid) == v1::DELIVERY_STATE_FAILED; }, 5'000));
  auto detail = service_->view(nid)->deliveries(0).detail();
  EXPECT_NE(detail.find("webhook target localhost:" + std::to_string(server_->port()) + " resolves to"),
            std::string::npos)
      << detail;
  EXPECT_NE(detail.find("a loopback address: refused, not connected"), std::string::npos) << detail;
  EXPECT_NE(detail.find("push-webhook-allow"), std::string::npos) << detail;
  EXPECT_EQ(posts(), 0u);  // nothing reached the receiver
  EXPECT_EQ(metrics_.counter_value("tw_push_webhook_target_refused_total", {{"stage", "call"}, {"reason", "loopback"}}),
            1u);
  // And registering it again is refused up front.
  v1::Recipient r;
  r.set_kind(v1::RECIPIENT_KIND_OPERATOR);
  r.set_webhook_url("http://localhost:" + std::to_string(server_->port()) + "/hook/200");
  auto put = service_->put_recipient("ops", r);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().reason, "webhook_target_refused");
  EXPECT_EQ(
      metrics_.counter_value("tw_push_webhook_target_refused_total", {{"stage", "register"}, {"reason", "loopback"}}),
      1u);
}

TEST_F(WebhookDeliveryTest, HttpsAndMalformedWebhookUrlsAreRefusedAtRegistration) {
  v1::Recipient r;
  r.set_kind(v1::RECIPIENT_KIND_OPERATOR);
  for (const char* url : {"https://example.test/x", "http://", "ftp://h/x", "http://h:99999/x"}) {
    r.set_webhook_url(url);
    auto put = service_->put_recipient("x", r);
    ASSERT_FALSE(put.ok()) << url;
    EXPECT_EQ(put.error().reason, "invalid_webhook_url");
  }
}

}  // namespace
}  // namespace tidewire::push

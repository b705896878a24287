// Push through the real tidewire-cloud: a tag fan-out to 1,500 recipients, the cloud
// killed with kill -9 in the middle of it and restarted, 1,500 reference apps (the
// PushApp of tidewire-sim, one MQTT connection each) receipting what they get. Every
// recipient ends DELIVERED, and no app shows a notification twice.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "http/client.hpp"
#include "process/process.hpp"
#include "tidewire/protocols/json.hpp"
#include "tidewire/protocols/topics.hpp"
#include "stack_fixture.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/push_app/virtual_apps.hpp"
#include "tidewire/v1/push.pb.h"

namespace tidewire::testing {
namespace {

constexpr int kRecipients = 1'500;

class PushFaultTest : public StackTest {
 protected:
  void SetUp() override {
    // One recipient per chunk (a store transaction each) stretches the fan-out over a
    // second or more, so a kill right after the accept lands inside it; chunks of 20 ran
    // through 1,500 recipients before the test's kill could land.
    start_stack("push-fanout-chunk = 1\npush-rate-per-recipient = 100\n");
  }
  void TearDown() override {
    apps_.reset();
    StackTest::TearDown();
  }
  Expected<http::Response> call(const std::string& method, const std::string& target, const std::string& body,
                                http::HeaderList headers = {}) {
    for (auto& h : operator_auth()) headers.push_back(h);
    return http::http_request("127.0.0.1", stack_->http_port(), method, target, body, 10'000, headers);
  }

  std::unique_ptr<push_app::VirtualApps> apps_;
};

TEST_F(PushFaultTest, KilledCloudMidFanOutLosesNoNotificationAndAppsSeeNoneTwice) {
  const auto ids = push_app::VirtualApps::numbered_ids("c", kRecipients);
  for (const auto& id : ids) {
    v1::Recipient r;
    r.set_kind(v1::RECIPIENT_KIND_CUSTOMER);
    r.add_tags("city.sh");
    auto put = call("PUT", "/v1/recipients/" + id, protocols::to_json(r));
    ASSERT_TRUE(put.ok()) << put.error().describe();
    ASSERT_EQ(put->status, 201) << put->body;
  }

  // The apps: each shows a notification once (its own dedupe by id) and receipts every copy.
  std::mutex mu;
  std::map<std::string, int> shown_to;  // recipient -> notifications shown
  std::atomic<int> shown{0};
  push_app::VirtualAppsOptions ao;
  ao.broker_port = stack_->cloud_broker_port();
  ao.recipient_ids = ids;
  auto logins = stack_->provision_recipients(ids);
  ASSERT_TRUE(logins.ok()) << logins.error().describe();
  ao.logins = *logins;
  apps_ = std::make_unique<push_app::VirtualApps>(ao, clock_, metrics_);
  apps_->set_on_notification([&](const push_app::PushApp& app, const v1::PushDelivery& d) {
    std::lock_guard lock(mu);
    ++shown_to[d.recipient_id()];
    shown.fetch_add(1);
    (void)app;
  });
  ASSERT_TRUE(apps_->start().ok());
  ASSERT_TRUE(process::wait_until([&] { return apps_->totals().online == ids.size(); }, 30'000)) << apps_->summary();

  v1::PushRequest p;
  p.add_tags("city.sh");
  p.set_title("Lunch deals");
  p.set_body("Two for one until 14:00");
  p.set_ttl_s(3600);
  auto accepted = call("POST", "/v1/push", protocols::to_json(p), {{"Idempotency-Key", "deals-1"}});
  ASSERT_TRUE(accepted.ok()) << accepted.error().describe();
  ASSERT_EQ(accepted->status, 202) << accepted->body;
  v1::PushAccepted a;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(accepted->body, &a).ok());

  // Kill -9 as soon as the request is accepted: the fan-out runs after the 202, so the kill
  // lands before it is through. (Waiting for the first apps to show it raced: the broker can
  // hand all 1,500 to the apps in one burst, between two polls.)
  stack_->kill9_cloud();
  int at_kill = shown.load();
  EXPECT_LT(at_kill, kRecipients) << "the fan-out finished before the kill; the test proves nothing";
  ASSERT_TRUE(stack_->start_cloud().ok());

  // The retried request is the same notification, not a second one.
  auto retried = call("POST", "/v1/push", protocols::to_json(p), {{"Idempotency-Key", "deals-1"}});
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->status, 200) << retried->body;

  v1::NotificationView view;
  ASSERT_TRUE(process::wait_until(
      [&] {
        auto v = call("GET", "/v1/push/" + a.notification_id(), "");
        if (!v.ok() || v->status != 200) return false;
        view.Clear();
        if (!google::protobuf::util::JsonStringToMessage(v->body, &view).ok()) return false;
        auto it = view.by_state().find("DELIVERY_STATE_DELIVERED");
        return view.fanout_done() && it != view.by_state().end() && it->second == static_cast<uint64_t>(kRecipients);
      },
      90'000))
      << view.DebugString();
  EXPECT_EQ(view.recipients(), static_cast<uint64_t>(kRecipients));
  EXPECT_EQ(shown.load(), kRecipients) << apps_->summary();  // every recipient saw it, exactly once
  std::lock_guard lock(mu);
  EXPECT_EQ(shown_to.size(), static_cast<size_t>(kRecipients));
  for (const auto& [id, n] : shown_to) EXPECT_EQ(n, 1) << id;
}

}  // namespace
}  // namespace tidewire::testing

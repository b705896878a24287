// An alert rule end to end on the real processes: a poster behind the edge goes offline,
// the cloud's rule fires once and the operator's app (the reference PushApp) shows the
// alert; the poster comes back and the app shows one recovery notice.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "http/client.hpp"
#include "process/process.hpp"
#include "tidewire/push_app/virtual_apps.hpp"
#include "stack_fixture.hpp"
#include "tidewire/v1/fleet.pb.h"
#include "tidewire/v1/push.pb.h"

namespace tidewire::testing {
namespace {

class AlertPushTest : public StackTest {
 protected:
  void SetUp() override { start_stack("alert-interval-s = 1\n"); }
  void TearDown() override {
    apps_.reset();
    StackTest::TearDown();
  }
  Expected<http::Response> call(const std::string& method, const std::string& target, const std::string& body = "") {
    return http::http_request("127.0.0.1", stack_->http_port(), method, target, body, 10'000, operator_auth());
  }
  uint64_t online() {
    auto r = call("GET", "/v1/fleet/summary");
    v1::FleetSummary s;
    if (!r.ok() || r->status != 200) return 0;
    google::protobuf::util::JsonParseOptions o;
    o.ignore_unknown_fields = true;
    if (!google::protobuf::util::JsonStringToMessage(r->body, &s, o).ok()) return 0;
    return s.online();
  }
  void start_poster() {
    sim::FleetOptions fo;
    fo.posters = 1;
    fo.event_interval_ms = 0;
    fo.status_interval_ms = 500;
    start_fleet(fo);
  }

  std::unique_ptr<push_app::VirtualApps> apps_;
};

TEST_F(AlertPushTest, AnOfflinePosterAlertsTheOperatorOnceAndRecoversOnce) {
  auto put = call("PUT", "/v1/recipients/ops-1", R"({"kind":"RECIPIENT_KIND_OPERATOR"})");
  ASSERT_TRUE(put.ok());
  ASSERT_EQ(put->status, 201) << put->body;
  auto rule = call("POST", "/v1/alert-rules",
                   R"({"id":"poster-off","type":"device_offline","kind":"poster","after_s":1,"recipient_ids":["ops-1"]})");
  ASSERT_TRUE(rule.ok());
  ASSERT_EQ(rule->status, 201) << rule->body;

  std::mutex mu;
  std::vector<std::string> titles;
  push_app::VirtualAppsOptions ao;
  ao.broker_port = stack_->cloud_broker_port();
  ao.recipient_ids = {"ops-1"};
  auto logins = stack_->provision_recipients(ao.recipient_ids);
  ASSERT_TRUE(logins.ok()) << logins.error().describe();
  ao.logins = *logins;
  apps_ = std::make_unique<push_app::VirtualApps>(ao, clock_, metrics_);
  apps_->set_on_notification([&](const push_app::PushApp&, const v1::PushDelivery& d) {
    std::lock_guard lock(mu);
    titles.push_back(d.title());
  });
  ASSERT_TRUE(apps_->start().ok());
  auto count = [&](const std::string& prefix) {
    std::lock_guard lock(mu);
    size_t n = 0;
    for (const auto& t : titles) n += t.rfind(prefix, 0) == 0;
    return n;
  };

  start_poster();
  ASSERT_TRUE(process::wait_until([&] { return online() == 1; }, 30'000));
  fleet_->stop();  // an orderly stop: the poster says it is offline
  ASSERT_TRUE(process::wait_until([&] { return count("ALERT poster-off") == 1; }, 30'000)) << titles.size();

  start_poster();  // back, with a new boot
  ASSERT_TRUE(process::wait_until([&] { return count("RESOLVED poster-off") == 1; }, 30'000));
  // The rule was evaluated every second while the poster was away: still one alert.
  EXPECT_EQ(count("ALERT poster-off"), 1u);
  EXPECT_EQ(count("RESOLVED poster-off"), 1u);
}

}  // namespace
}  // namespace tidewire::testing

// An alert rule end to end on the real processes: a poster behind the edge goes offline,
// the cloud's rule fires once and the operator's app (the reference PushApp) shows the
// alert; the poster comes back and the app shows one recovery notice.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

#include "http/client.hpp"
#include "process/process.hpp"
#include "tidewire/push_app/virtual_apps.hpp"
#include "tidewire/sim/fleet.hpp"
#include "tidewire/sim/stack.hpp"
#include "tidewire/v1/fleet.pb.h"
#include "tidewire/v1/push.pb.h"

namespace tidewire::testing {
namespace {

class AlertPushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* bin = std::getenv("TW_BIN_DIR");
    ASSERT_NE(bin, nullptr) << "TW_BIN_DIR is set by ctest; run through ctest";
    dir_ = std::filesystem::temp_directory_path() / ("tw-it-alert-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    sim::StackOptions so;
    so.run_dir = dir_.string();
    so.bin_dir = bin;
    so.cloud_extra_config = "alert-interval-s = 1\n";
    auto s = sim::Stack::start(so);
    ASSERT_TRUE(s.ok()) << s.error().describe();
    stack_ = std::move(*s);
  }
  void TearDown() override {
    fleet_.reset();
    apps_.reset();
    if (stack_) stack_->stop();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }
  Expected<http::Response> call(const std::string& method, const std::string& target, const std::string& body = "") {
    return http::http_request("127.0.0.1", stack_->http_port(), method, target, body, 10'000);
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
    fo.site = stack_->options().site;
    fo.broker_port = stack_->site_broker_port();
    fo.posters = 1;
    fo.event_interval_ms = 0;
    fo.status_interval_ms = 500;
    fleet_ = std::make_unique<sim::Fleet>(fo, clock_, metrics_);
    ASSERT_TRUE(fleet_->start().ok());
  }

  std::filesystem::path dir_;
  SystemClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<sim::Stack> stack_;
  std::unique_ptr<sim::Fleet> fleet_;
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

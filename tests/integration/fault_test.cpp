// The fault test: during a 10,000-event run, kill -9 the edge relay and restart
// it, and restart the cloud broker; afterwards the cloud holds every event exactly once.
#include "stack_fixture.hpp"
#include "tidewire/sim/verify.hpp"

namespace tidewire::testing {
namespace {

class FaultTest : public StackTest {};

TEST_F(FaultTest, KilledEdgeAndRestartedCloudBrokerLoseAndDoubleNothing) {
  start_stack();
  sim::FleetOptions fo;
  fo.posters = 40;
  fo.riders = 30;
  fo.encoders = 30;
  fo.event_interval_ms = 0;
  fo.status_interval_ms = 2000;
  fo.resend_timeout_ms = 3000;
  auto& fleet = start_fleet(fo);
  ASSERT_TRUE(process::wait_until([&] { return fleet.online() == 100; }, 30'000)) << fleet.summary();

  // 100 devices x 100 events over ~10 s.
  fleet.record_scripted_events(100, 10'000);
  ASSERT_TRUE(process::wait_until([&] { return fleet.scripted_recorded() >= 2000; }, 30'000));
  stack_->kill9_edge();
  ASSERT_TRUE(process::wait_until([&] { return fleet.scripted_recorded() >= 4000; }, 30'000));
  ASSERT_TRUE(stack_->start_edge().ok());
  ASSERT_TRUE(process::wait_until([&] { return fleet.scripted_recorded() >= 6000; }, 30'000));
  auto st = stack_->restart_cloud_broker();
  ASSERT_TRUE(st.ok()) << st.error().describe();

  ASSERT_TRUE(process::wait_until([&] { return fleet.scripted_recorded() == 10'000; }, 60'000)) << fleet.summary();
  ASSERT_TRUE(process::wait_until([&] { return fleet.all_acked(); }, 60'000)) << fleet.summary();
  Expected<sim::VerifyReport> report = make_error(ErrorCode::kTimeout, "not run");
  bool ok = process::wait_until(
      [&] {
        report = sim::verify_in_cloud({"127.0.0.1", stack_->http_port(), stack_->operator_token()}, fleet.ledgers());
        return report.ok() && report->ok();
      },
      60'000);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(ok) << report->to_json();
  EXPECT_EQ(report->expected, 10'000u);
  EXPECT_EQ(report->found, 10'000u);
  EXPECT_EQ(report->duplicated, 0u);
  EXPECT_EQ(report->missing, 0u);
}

}  // namespace
}  // namespace tidewire::testing

// The Stack as users run it: both brokers locked (docs/security.md). Anonymous clients are
// refused; a device revoked while its events sit in the edge's spool is refused at its
// next connect, the others stay, and its spooled events still reach the cloud once (they
// were authentic when sent). With TLS on every hop, events still arrive exactly once and a
// client speaking plain TCP is refused even with a valid login.
#include "stack_fixture.hpp"
#include "tidewire/sim/verify.hpp"
#include "tidewire/transport/mosquitto_client.hpp"
#include "tidewire/transport/mosquitto_loop.hpp"

namespace tidewire::testing {
namespace {

constexpr int64_t kWaitMs = 30'000;
const Labels kMosquitto = {{"backend", "mosquitto"}};

class LockedStackTest : public StackTest {};

// A client that never gets connected to `port` however often it retries (a locked broker,
// a TLS listener spoken to in plain TCP): its connect failures are counted and it stays down.
void expect_refused(int port, const credentials::Login& login, const std::string& client_id) {
  transport::MosquittoLoop loop;
  ASSERT_TRUE(loop.start_thread().ok());
  SeededRandom random(3);
  MetricsRegistry metrics;
  transport::MosquittoClientOptions co;
  co.metrics = &metrics;
  co.log_edges = false;
  transport::MosquittoClient client(loop, random, co);
  ASSERT_TRUE(client.subscribe("tw/#", 0).ok());
  transport::ConnectOptions o;
  o.port = port;
  o.client_id = client_id;
  o.username = login.username;
  o.password = login.password;
  o.reconnect_min_ms = 50;
  o.reconnect_max_ms = 200;
  ASSERT_TRUE(client.connect(o).ok());
  EXPECT_TRUE(process::wait_until(
      [&] { return metrics.counter_value("tw_transport_connect_failures_total", kMosquitto) >= 2; }, kWaitMs));
  EXPECT_FALSE(client.is_connected()) << "port " << port;
  client.disconnect();
  loop.stop();
}

TEST_F(LockedStackTest, BothBrokersRefuseAnonymousClients) {
  start_stack();
  for (int port : {stack_->site_broker_port(), stack_->cloud_broker_port()}) expect_refused(port, {}, "intruder");
}

TEST_F(LockedStackTest, OverTlsOnEveryHopEventsArriveOnceAndPlainTcpIsRefused) {
  start_stack("", /*tls=*/true);
  ASSERT_FALSE(stack_->client_tls().ca_file.empty());
  sim::FleetOptions fo;
  fo.posters = 3;
  fo.event_interval_ms = 0;
  fo.status_interval_ms = 60'000;
  auto& fleet = start_fleet(fo);  // over TLS, trusting the stack's CA
  ASSERT_TRUE(process::wait_until([&] { return fleet.online() == 3; }, kWaitMs)) << fleet.summary();
  fleet.record_scripted_events(10, 0);
  ASSERT_TRUE(process::wait_until([&] { return fleet.scripted_recorded() == 30; }, kWaitMs)) << fleet.summary();
  // Both brokers listen with TLS only: whatever reaches the cloud went device -> site
  // broker -> edge -> cloud broker -> cloud over TLS.
  Expected<sim::VerifyReport> report = make_error(ErrorCode::kTimeout, "not run");
  bool ok = process::wait_until(
      [&] {
        report = sim::verify_in_cloud({"127.0.0.1", stack_->http_port(), stack_->operator_token()}, fleet.ledgers());
        return report.ok() && report->ok();
      },
      kWaitMs);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(ok) << report->to_json();
  EXPECT_EQ(report->found, 30u);

  // A valid login does not help a client that skips TLS.
  auto device = stack_->provision(
      credentials::Principal{credentials::PrincipalKind::kDevice, "plain-device", stack_->options().site,
                             v1::DEVICE_KIND_POSTER, std::nullopt, "", 0, 0});
  ASSERT_TRUE(device.ok()) << device.error().describe();
  expect_refused(stack_->site_broker_port(), *device, "plain-device");
}

TEST_F(LockedStackTest, ARevokedDeviceIsRefusedButItsSpooledEventsArriveOnce) {
  start_stack();
  sim::FleetOptions fo;
  fo.posters = 3;
  fo.event_interval_ms = 0;
  fo.status_interval_ms = 60'000;
  auto& fleet = start_fleet(fo);
  ASSERT_TRUE(process::wait_until([&] { return fleet.online() == 3; }, kWaitMs)) << fleet.summary();

  // The cloud is down: the edge acks the devices from its spool and keeps the events.
  stack_->kill9_cloud();
  fleet.record_scripted_events(10, 0);
  ASSERT_TRUE(process::wait_until([&] { return fleet.all_acked(); }, kWaitMs)) << fleet.summary();

  const std::string revoked = sim::fleet_devices(fo).front().second;
  ASSERT_TRUE(stack_->revoke(credentials::PrincipalKind::kDevice, revoked).ok());
  EXPECT_EQ(stack_->logins().count(credentials::username(credentials::PrincipalKind::kDevice, revoked)), 0u);
  // Every device reconnects after a broker restart; the revoked one is turned away.
  const uint64_t failures_before = metrics_.counter_value("tw_transport_connect_failures_total", kMosquitto);
  ASSERT_TRUE(stack_->restart_site_broker().ok());
  EXPECT_TRUE(process::wait_until(
      [&] {
        return fleet.online() == 2 &&
               metrics_.counter_value("tw_transport_connect_failures_total", kMosquitto) >= failures_before + 2;
      },
      kWaitMs))
      << fleet.summary();

  ASSERT_TRUE(stack_->start_cloud().ok());
  Expected<sim::VerifyReport> report = make_error(ErrorCode::kTimeout, "not run");
  bool ok = process::wait_until(
      [&] {
        report = sim::verify_in_cloud({"127.0.0.1", stack_->http_port(), stack_->operator_token()}, fleet.ledgers());
        return report.ok() && report->ok();
      },
      kWaitMs);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(ok) << report->to_json();
  EXPECT_EQ(report->expected, 30u);
  EXPECT_EQ(report->found, 30u);  // the revoked device's 10 included
  EXPECT_EQ(fleet.online(), 2u);
}

}  // namespace
}  // namespace tidewire::testing

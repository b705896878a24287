// The runner on the real SQLite fleet registry (devices ingested as edge batches) with a
// ManualClock: it evaluates on its interval, reads every page of devices, pushes, counts.
#include "tidewire/alerts/alert_runner.hpp"

#include <gtest/gtest.h>

#include "alert_test_support.hpp"
#include "sqlite/sqlite_alert_store.hpp"
#include "sqlite/sqlite_registry.hpp"

namespace tidewire::alerts {
namespace {

namespace ct = cloud::testing;

class AlertRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto path = testing::temp_db_path();
    auto reg = cloud::SqliteRegistry::open({path, 60'000}, clock);
    ASSERT_TRUE(reg) << reg.error().message;
    registry = std::move(*reg);
    auto s = SqliteAlertStore::open(path, clock);  // the same file, as the cloud may run it
    ASSERT_TRUE(s) << s.error().message;
    store = std::move(*s);
    auto e = AlertEngine::open(
        *store,
        {testing::rule(R"({"id":"off","type":"device_offline","after_s":120,"tags":["ops"]})"),
         testing::rule(R"({"id":"flat","type":"status_threshold","kind":"rider","field":"battery_pct","op":"<",)"
                       R"("threshold":15,"for_s":0,"recipient_ids":["rider-ops"]})")},
        metrics);
    ASSERT_TRUE(e) << e.error().message;
    engine = std::move(*e);
    AlertRunnerOptions options;
    options.interval_ms = 10'000;
    options.page_size = 2;  // several pages for three devices
    runner = std::make_unique<AlertRunner>(*engine, *registry, sink, clock, metrics, options);
  }
  // Each device says it is online at the current clock time.
  // Each call is a second later, so the rider's status is newer than the last one.
  void hear(uint64_t batch_id, uint32_t rider_battery) {
    clock.advance_ms(1'000);
    int64_t now = clock.wall_ms();
    std::vector<v1::BatchItem> items;
    for (const char* id : {"poster-1", "poster-2"}) {
      items.push_back(ct::presence_item({id, "site-a", v1::DEVICE_KIND_POSTER, "b"}, batch_id, true, now));
    }
    ct::Who rider{"rider-1", "site-a", v1::DEVICE_KIND_RIDER, "b"};
    items.push_back(ct::presence_item(rider, batch_id, true, now));
    auto status = ct::envelope(rider, 0, now);
    status.mutable_status()->mutable_rider()->set_battery_pct(rider_battery);
    items.push_back(ct::item(std::move(status), now));
    auto b = ct::batch("edge-1", batch_id, std::move(items));
    b.set_edge_time_ms(now);
    auto applied = registry->ingest(b);
    ASSERT_TRUE(applied) << applied.error().message;
  }

  ManualClock clock;
  MetricsRegistry metrics;
  testing::FakeSink sink;
  std::unique_ptr<cloud::SqliteRegistry> registry;
  std::unique_ptr<SqliteAlertStore> store;
  std::unique_ptr<AlertEngine> engine;
  std::unique_ptr<AlertRunner> runner;
};

TEST_F(AlertRunnerTest, EvaluatesOnItsIntervalAndPushesOncePerIncident) {
  hear(1, 80);
  EXPECT_TRUE(runner->tick());   // the first tick evaluates at once
  EXPECT_FALSE(runner->tick());  // then waits for the interval
  EXPECT_TRUE(sink.sent.empty());

  hear(2, 10);  // the rider's battery is low now (1 s after the first evaluation)
  clock.advance_ms(8'999);
  EXPECT_FALSE(runner->tick());
  clock.advance_ms(1);
  EXPECT_TRUE(runner->tick());
  ASSERT_EQ(sink.keys(), std::vector<std::string>{"alert:flat:rider-1:1:fire"});

  // Everything goes silent; 60 s later the registry says offline, 120 s later the rule fires.
  for (int i = 0; i < 14; ++i) {
    clock.advance_ms(10'000);
    runner->tick();
  }
  auto keys = sink.keys();
  EXPECT_EQ(keys.size(), 4U) << ::testing::PrintToString(keys);
  for (const char* key : {"alert:off:poster-1:1:fire", "alert:off:poster-2:1:fire", "alert:off:rider-1:1:fire"}) {
    EXPECT_EQ(std::count(keys.begin(), keys.end(), key), 1) << key;
  }
  EXPECT_EQ(metrics.counter_value("tw_alert_notifications_total", {{"kind", "fire"}}), 4U);
  EXPECT_EQ(metrics.gauge("tw_alert_incidents_open", "").value(), 4);

  // They come back with a full battery: one recovery each, then silence.
  hear(3, 90);
  clock.advance_ms(10'000);
  runner->tick();
  clock.advance_ms(10'000);
  runner->tick();
  EXPECT_EQ(metrics.counter_value("tw_alert_notifications_total", {{"kind", "clear"}}), 4U);
  EXPECT_EQ(sink.sent.size(), 8U);
  EXPECT_EQ(metrics.gauge("tw_alert_incidents_open", "").value(), 0);
}

TEST_F(AlertRunnerTest, AClearWaitsForItsRefusedFireAndFailuresAreCounted) {
  hear(1, 10);
  ASSERT_TRUE(runner->run_once());
  ASSERT_EQ(sink.sent.size(), 1U);
  // A new low-battery incident whose fire is refused, then clears before the next round.
  hear(2, 90);
  ASSERT_TRUE(runner->run_once());  // clear of incident 1
  hear(3, 5);
  sink.refuse_next = 1;
  ASSERT_TRUE(runner->run_once());  // fire of incident 2 refused
  hear(4, 95);
  sink.refuse_next = 1;
  ASSERT_TRUE(runner->run_once());  // fire 2 refused again: its clear must not go out
  EXPECT_EQ(sink.keys(), (std::vector<std::string>{"alert:flat:rider-1:1:fire", "alert:flat:rider-1:1:clear"}));
  ASSERT_TRUE(runner->run_once());
  EXPECT_EQ(sink.keys(), (std::vector<std::string>{"alert:flat:rider-1:1:fire", "alert:flat:rider-1:1:clear",
                                                   "alert:flat:rider-1:2:fire", "alert:flat:rider-1:2:clear"}));
  EXPECT_EQ(metrics.counter_total("tw_alert_sink_failures_total"), 2U);
}

// A notice the push service refuses as invalid (every recipient unknown) would be refused
// again every round: it is dropped and counted once, and the incident goes on (its clear
// is still sent).
TEST_F(AlertRunnerTest, ANoticeRefusedAsInvalidIsDroppedNotRetriedEveryRound) {
  hear(1, 10);
  sink.invalid_next = 1;
  ASSERT_TRUE(runner->run_once());
  EXPECT_TRUE(sink.sent.empty());
  ASSERT_TRUE(runner->run_once());
  ASSERT_TRUE(runner->run_once());
  EXPECT_EQ(sink.attempts, std::vector<std::string>{"alert:flat:rider-1:1:fire"});
  EXPECT_EQ(metrics.counter_total("tw_alert_notices_dropped_total"), 1U);
  EXPECT_EQ(metrics.counter_total("tw_alert_sink_failures_total"), 0U);
  hear(2, 90);
  ASSERT_TRUE(runner->run_once());
  EXPECT_EQ(sink.keys(), std::vector<std::string>{"alert:flat:rider-1:1:clear"});
}

}  // namespace
}  // namespace tidewire::alerts

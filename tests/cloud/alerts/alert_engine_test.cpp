// The engine on a real SQLite AlertStore, hand-made fleets and a fake sink: one fire per
// incident, one recovery, holds, site shares, restarts and failed pushes.
#include <gtest/gtest.h>

#include "alert_test_support.hpp"
#include "sqlite/sqlite_alert_store.hpp"

namespace tidewire::alerts {
namespace {

using testing::deliver;
using testing::device;
using testing::encoder;
using testing::kT0;

constexpr const char* kOffline = R"({"id":"off","type":"device_offline","after_s":300,"tags":["operators"]})";
constexpr const char* kLowBitrate =
    R"({"id":"enc-low","type":"status_threshold","kind":"encoder","field":"bitrate_kbps","op":"<",)"
    R"("threshold":500,"for_s":30,"recipient_ids":["streamer-1"]})";

class AlertEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = testing::temp_db_path();
    reopen();
  }
  void reopen(std::vector<AlertRule> file_rules = {}) {
    engine.reset();
    store.reset();
    auto s = SqliteAlertStore::open(path_, clock);
    ASSERT_TRUE(s) << s.error().message;
    store = std::move(*s);
    if (file_rules.empty()) file_rules = rules;
    auto e = AlertEngine::open(*store, file_rules, metrics);
    ASSERT_TRUE(e) << e.error().message;
    engine = std::move(*e);
  }
  std::vector<std::string> step(const FleetSnapshot& fleet, int64_t at_ms) {
    return deliver(*engine, fleet, at_ms, sink);
  }
  static FleetSnapshot one_poster(bool online, int64_t last_seen_ms) {
    return {{device("poster-1", v1::DEVICE_KIND_POSTER, "site-1", online, last_seen_ms)}};
  }

  std::vector<AlertRule> rules{testing::rule(kOffline), testing::rule(kLowBitrate)};
  ManualClock clock;
  MetricsRegistry metrics;
  testing::FakeSink sink;
  std::string path_;
  std::unique_ptr<SqliteAlertStore> store;
  std::unique_ptr<AlertEngine> engine;
};

TEST_F(AlertEngineTest, OfflineDeviceFiresOnceAndRecoversOnce) {
  EXPECT_TRUE(step(one_poster(false, kT0), kT0 + 299'000).empty());  // not yet 300 s
  auto fired = step(one_poster(false, kT0), kT0 + 301'000);
  ASSERT_EQ(fired, std::vector<std::string>{"alert:off:poster-1:1:fire"});
  const auto& push = sink.sent.at(0).request;
  EXPECT_EQ(push.tags(0), "operators");
  EXPECT_EQ(push.priority(), v1::PUSH_PRIORITY_HIGH);
  EXPECT_NE(push.title().find("poster-1"), std::string::npos) << push.title();
  EXPECT_EQ(push.data().at("state"), "firing");
  EXPECT_EQ(engine->open_incidents(), 1U);
  EXPECT_EQ(metrics.gauge("tw_alert_incidents_open", "").value(), 1);

  for (int i = 1; i <= 5; ++i) EXPECT_TRUE(step(one_poster(false, kT0), kT0 + 301'000 + i * 60'000).empty());

  auto cleared = step(one_poster(true, kT0 + 700'000), kT0 + 700'000);
  ASSERT_EQ(cleared, std::vector<std::string>{"alert:off:poster-1:1:clear"});
  EXPECT_EQ(sink.sent.back().request.data().at("state"), "resolved");
  EXPECT_TRUE(step(one_poster(true, kT0 + 710'000), kT0 + 710'000).empty());
  EXPECT_EQ(engine->open_incidents(), 0U);
  EXPECT_TRUE(engine->unfinished_incidents().empty());

  // The next outage is a new incident with a new key.
  EXPECT_EQ(step(one_poster(false, kT0 + 710'000), kT0 + 1'100'000),
            std::vector<std::string>{"alert:off:poster-1:2:fire"});
}

TEST_F(AlertEngineTest, ThresholdMustHoldForItsDuration) {
  auto at = [](int64_t s) { return kT0 + s * 1000; };
  EXPECT_TRUE(step({{encoder("enc-1", 300)}}, at(0)).empty());
  EXPECT_TRUE(step({{encoder("enc-1", 300)}}, at(20)).empty());
  EXPECT_TRUE(step({{encoder("enc-1", 800)}}, at(25)).empty());  // recovered: the hold restarts
  EXPECT_TRUE(step({{encoder("enc-1", 300)}}, at(30)).empty());
  EXPECT_TRUE(step({{encoder("enc-1", 300)}}, at(59)).empty());
  auto fired = step({{encoder("enc-1", 300)}}, at(60));
  ASSERT_EQ(fired, std::vector<std::string>{"alert:enc-low:enc-1:1:fire"});
  EXPECT_EQ(sink.sent.at(0).request.recipient_ids(0), "streamer-1");
  EXPECT_NE(sink.sent.at(0).request.body().find("bitrate_kbps 300 < 500"), std::string::npos)
      << sink.sent.at(0).request.body();
  EXPECT_TRUE(step({{encoder("enc-1", 100)}}, at(120)).empty());
  EXPECT_EQ(step({{encoder("enc-1", 900)}}, at(130)), std::vector<std::string>{"alert:enc-low:enc-1:1:clear"});
}

TEST_F(AlertEngineTest, AnOfflineDeviceNeitherFiresNorClearsAThreshold) {
  auto at = [](int64_t s) { return kT0 + s * 1000; };
  step({{encoder("enc-1", 300)}}, at(0));
  ASSERT_EQ(step({{encoder("enc-1", 300)}}, at(30)).size(), 1U);
  // Offline with a good old status: no recovery (the reading is stale), no re-fire.
  EXPECT_TRUE(step({{encoder("enc-1", 900, false)}}, at(40)).empty());
  EXPECT_EQ(engine->open_incidents(), 1U);
  EXPECT_EQ(step({{encoder("enc-1", 900, true)}}, at(50)).size(), 1U);  // the clear
  // A low reading while offline does not start a hold.
  step({{encoder("enc-1", 100, false)}}, at(60));
  step({{encoder("enc-1", 100, true)}}, at(80));
  EXPECT_TRUE(step({{encoder("enc-1", 100, true)}}, at(100)).empty());  // held 20 s of 30
  EXPECT_EQ(step({{encoder("enc-1", 100, true)}}, at(110)).size(), 1U);
}

TEST_F(AlertEngineTest, SiteOfflineShareHonoursMinimumDevices) {
  reopen({testing::rule(
      R"({"id":"dark","type":"site_offline","offline_pct":50,"min_devices":3,"for_s":10,"tags":["ops"]})")});
  auto fleet = [](int offline_in_site1, bool lone_offline) {
    FleetSnapshot f;
    for (int i = 0; i < 4; ++i) {
      f.devices.push_back(
          device("p" + std::to_string(i), v1::DEVICE_KIND_POSTER, "site-1", i >= offline_in_site1, kT0));
    }
    f.devices.push_back(device("lone", v1::DEVICE_KIND_POSTER, "site-2", !lone_offline, kT0));
    return f;
  };
  auto at = [](int64_t s) { return kT0 + s * 1000; };
  EXPECT_TRUE(step(fleet(2, true), at(0)).empty());  // 50% is not above 50%; site-2 has 1 < 3 devices
  EXPECT_TRUE(step(fleet(2, true), at(60)).empty());
  EXPECT_TRUE(step(fleet(3, true), at(61)).empty());  // 75%, hold starts
  auto fired = step(fleet(3, true), at(71));
  ASSERT_EQ(fired, std::vector<std::string>{"alert:dark:site-1:1:fire"});
  EXPECT_NE(sink.sent[0].request.body().find("3 of 4 devices offline"), std::string::npos)
      << sink.sent[0].request.body();
  EXPECT_TRUE(step(fleet(4, true), at(80)).empty());
  EXPECT_EQ(step(fleet(1, true), at(90)), std::vector<std::string>{"alert:dark:site-1:1:clear"});
}

TEST_F(AlertEngineTest, FiltersBySiteAndKind) {
  reopen({testing::rule(
      R"({"id":"off-s1","type":"device_offline","after_s":60,"site":"site-1","kind":"rider","tags":["ops"]})")});
  FleetSnapshot fleet{{device("r1", v1::DEVICE_KIND_RIDER, "site-1", false, kT0),
                       device("r2", v1::DEVICE_KIND_RIDER, "site-2", false, kT0),
                       device("p1", v1::DEVICE_KIND_POSTER, "site-1", false, kT0)}};
  EXPECT_EQ(step(fleet, kT0 + 120'000), std::vector<std::string>{"alert:off-s1:r1:1:fire"});
}

TEST_F(AlertEngineTest, RestartNeitherRefiresNorForgetsTheRecovery) {
  ASSERT_EQ(step(one_poster(false, kT0), kT0 + 400'000).size(), 1U);
  reopen();  // the cloud restarts: same SQLite file
  EXPECT_EQ(engine->open_incidents(), 1U);
  EXPECT_TRUE(step(one_poster(false, kT0), kT0 + 500'000).empty());
  reopen();
  EXPECT_EQ(step(one_poster(true, kT0 + 600'000), kT0 + 600'000),
            std::vector<std::string>{"alert:off:poster-1:1:clear"});
  reopen();
  EXPECT_TRUE(step(one_poster(true, kT0 + 610'000), kT0 + 610'000).empty());
  // Numbering continues after a restart, so a new incident's key is new to the push service.
  EXPECT_EQ(step(one_poster(false, kT0 + 610'000), kT0 + 1'000'000),
            std::vector<std::string>{"alert:off:poster-1:2:fire"});
}

TEST_F(AlertEngineTest, AnUnmarkedNoticeIsResentUnderTheSameKeyAfterACrash) {
  // Pushed, then the process died before mark_sent: the restart hands out the same key.
  auto first = engine->evaluate(one_poster(false, kT0), kT0 + 400'000);
  ASSERT_EQ(first.size(), 1U);
  reopen();
  auto again = engine->evaluate(one_poster(false, kT0), kT0 + 410'000);
  ASSERT_EQ(again.size(), 1U);
  EXPECT_EQ(again[0].idempotency_key, first[0].idempotency_key);
  ASSERT_TRUE(engine->mark_sent(again[0]));
  EXPECT_TRUE(engine->evaluate(one_poster(false, kT0), kT0 + 420'000).empty());
}

TEST_F(AlertEngineTest, ARefusedPushIsRetriedUnderTheSameKey) {
  sink.refuse_next = 1;
  step(one_poster(false, kT0), kT0 + 400'000);
  EXPECT_TRUE(sink.sent.empty());
  EXPECT_EQ(step(one_poster(false, kT0), kT0 + 410'000), std::vector<std::string>{"alert:off:poster-1:1:fire"});
  EXPECT_EQ(sink.attempts, (std::vector<std::string>{"alert:off:poster-1:1:fire", "alert:off:poster-1:1:fire"}));
  EXPECT_EQ(sink.sent.size(), 1U);
}

TEST_F(AlertEngineTest, ApiRulesPersistAndConflictWithFileRules) {
  auto api_rule = testing::rule(R"({"id":"hot","type":"status_threshold","kind":"poster","field":"temperature_c",)"
                                R"("op":">","threshold":70,"tags":["installers"]})");
  auto added = engine->add_rule(api_rule);
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_TRUE(*added);
  auto again = engine->add_rule(api_rule);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);  // a retried POST
  auto changed = api_rule;
  changed.threshold = 80;
  auto conflict = engine->add_rule(changed);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);
  auto shadow = testing::rule(kOffline);
  auto file_clash = engine->add_rule(shadow);
  ASSERT_FALSE(file_clash);
  EXPECT_EQ(file_clash.error().code, ErrorCode::kConflict);
  EXPECT_EQ(engine->remove_rule("off").error().code, ErrorCode::kConflict);
  EXPECT_EQ(engine->remove_rule("nope").error().code, ErrorCode::kNotFound);

  reopen();
  auto views = engine->rules();
  ASSERT_EQ(views.size(), 3U);
  auto it = std::find_if(views.begin(), views.end(), [](const RuleView& v) { return v.rule.id == "hot"; });
  ASSERT_NE(it, views.end());
  EXPECT_EQ(it->rule.source, RuleSource::kApi);
  EXPECT_DOUBLE_EQ(it->rule.threshold, 70);
  EXPECT_EQ(metrics.gauge("tw_alert_rules", "").value(), 3);

  ASSERT_TRUE(engine->remove_rule("hot"));
  reopen();
  EXPECT_EQ(engine->rules().size(), 2U);
}

TEST_F(AlertEngineTest, DeletingARuleEndsItsIncidentsWithoutANotice) {
  auto api_rule = testing::rule(R"({"id":"off2","type":"device_offline","after_s":10,"tags":["ops"]})");
  ASSERT_TRUE(engine->add_rule(api_rule));
  auto fired = step(one_poster(false, kT0), kT0 + 400'000);
  ASSERT_EQ(fired.size(), 2U);  // off and off2
  ASSERT_TRUE(engine->remove_rule("off2"));
  EXPECT_EQ(engine->open_incidents(), 1U);
  EXPECT_EQ(step(one_poster(true, kT0 + 500'000), kT0 + 500'000),
            std::vector<std::string>{"alert:off:poster-1:1:clear"});
  // Re-created under the same id, it continues the numbering instead of reusing key 1.
  ASSERT_TRUE(engine->add_rule(api_rule));
  EXPECT_EQ(step(one_poster(false, kT0 + 500'000), kT0 + 520'000),
            std::vector<std::string>{"alert:off2:poster-1:2:fire"});
}

}  // namespace
}  // namespace tidewire::alerts

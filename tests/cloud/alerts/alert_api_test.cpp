// The alert rules API against a real HTTP server on port 0, with the engine on SQLite.
#include "tidewire/alerts/alert_api.hpp"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "alert_test_support.hpp"
#include "http/client.hpp"
#include "http/server.hpp"
#include "sqlite/sqlite_alert_store.hpp"
#include "tests/cloud/error_body.hpp"
#include "tests/fakes/fake_gate.hpp"

namespace tidewire::alerts {
namespace {

constexpr const char* kHot = R"({"id":"hot","type":"status_threshold","kind":"poster","field":"temperature_c",)"
                             R"("op":">","threshold":70,"for_s":60,"tags":["installers"]})";

class AlertApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = testing::temp_db_path();
    start();
  }
  void TearDown() override { stop(); }
  void start() {
    auto s = SqliteAlertStore::open(path_, clock);
    ASSERT_TRUE(s) << s.error().message;
    store = std::move(*s);
    auto e = AlertEngine::open(
        *store, {testing::rule(R"({"id":"from-file","type":"device_offline","after_s":60,"tags":["ops"]})")}, metrics);
    ASSERT_TRUE(e) << e.error().message;
    engine = std::move(*e);
    api = std::make_unique<AlertApi>(*engine, metrics);
    http::Router router;
    gate = ::tidewire::testing::admit_all(router);
    ASSERT_TRUE(api->install(router));
    http::ServerOptions o;
    o.port = 0;
    o.threads = 1;
    auto started = http::Server::start(o, std::move(router));
    ASSERT_TRUE(started) << started.error().message;
    server = std::move(*started);
  }
  void stop() {
    if (server) server->stop();
    server.reset();
    api.reset();
    engine.reset();
    store.reset();
  }
  http::Response call(const std::string& method, const std::string& target, const std::string& body = "") {
    auto r = http::http_request("127.0.0.1", server->port(), method, target, body, 5000, {});
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : http::Response{599, "", "", {}};
  }
  uint64_t rejects(const std::string& reason) {
    return metrics.counter_value("tw_alert_rule_rejects_total", {{"source", "api"}, {"reason", reason}});
  }

  ManualClock clock;
  MetricsRegistry metrics;
  std::string path_;
  std::unique_ptr<SqliteAlertStore> store;
  std::unique_ptr<AlertEngine> engine;
  std::unique_ptr<AlertApi> api;
  std::unique_ptr<http::Server> server;
  std::shared_ptr<::tidewire::testing::FakeGate> gate;
};

TEST_F(AlertApiTest, PostListDeleteAndSurviveARestart) {
  auto created = call("POST", "/v1/alert-rules", kHot);
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_NE(created.body.find(R"("source":"api")"), std::string::npos) << created.body;
  EXPECT_EQ(call("POST", "/v1/alert-rules", kHot).status, 200);  // a retried POST

  stop();
  start();
  auto listed = call("GET", "/v1/alert-rules");
  ASSERT_EQ(listed.status, 200);
  EXPECT_NE(listed.body.find(R"("id":"hot")"), std::string::npos) << listed.body;
  EXPECT_NE(listed.body.find(R"("id":"from-file")"), std::string::npos) << listed.body;
  EXPECT_NE(listed.body.find(R"("open_incidents":0)"), std::string::npos) << listed.body;

  EXPECT_EQ(call("DELETE", "/v1/alert-rules/hot").status, 200);
  EXPECT_EQ(call("DELETE", "/v1/alert-rules/hot").status, 404);
  auto file_rule = call("DELETE", "/v1/alert-rules/from-file");
  EXPECT_EQ(file_rule.status, 409);
  EXPECT_NE(file_rule.body.find("rules file"), std::string::npos) << file_rule.body;
  stop();
  start();
  EXPECT_EQ(call("GET", "/v1/alert-rules").body.find(R"("id":"hot")"), std::string::npos);
}

TEST_F(AlertApiTest, BadRulesAre400WithTheirReasonAndCounted) {
  struct Case {
    std::string body;
    std::string reason;
  };
  for (const auto& c : std::vector<Case>{
           {R"({"id":"x","type":"sensor_melted","tags":["a"]})", "unknown_type"},
           {R"({"id":"x","type":"status_threshold","kind":"rider","field":"battery","op":"<","threshold":5,)"
            R"("tags":["a"]})",
            "unknown_field"},
           {R"({"id":"x","type":"device_offline","after_s":-60,"tags":["a"]})", "bad_duration"},
           {R"({"id":"x","type":"device_offline","after_s":60})", "no_recipients"},
           {"{not json", "invalid_json"},
       }) {
    auto r = call("POST", "/v1/alert-rules", c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_NE(r.body.find("\"reason\":\"" + c.reason + "\""), std::string::npos) << r.body;
    EXPECT_EQ(rejects(c.reason), 1U) << c.reason;
  }
  auto clash =
      call("POST", "/v1/alert-rules", R"({"id":"from-file","type":"device_offline","after_s":5,"tags":["a"]})");
  EXPECT_EQ(clash.status, 409) << clash.body;
  EXPECT_EQ(rejects("conflict"), 1U);
  EXPECT_EQ(engine->rules().size(), 1U);  // nothing was added
}

TEST_F(AlertApiTest, ErrorsHaveTheOneBodyShapeWithAReason) {
  using tidewire::testing::expect_error_body;
  expect_error_body(call("POST", "/v1/alert-rules", "{not json"), 400, "invalid_json");
  expect_error_body(call("POST", "/v1/alert-rules", R"({"id":"x","type":"device_offline","after_s":5,"treshold":1})"),
                    400, "unknown_key");
  expect_error_body(call("DELETE", "/v1/alert-rules/nope"), 404, "unknown_rule");
  expect_error_body(call("DELETE", "/v1/alert-rules/from-file"), 409, "file_rule");
  expect_error_body(
      call("POST", "/v1/alert-rules", R"({"id":"from-file","type":"device_offline","after_s":5,"tags":["a"]})"), 409,
      "conflict");
}

TEST_F(AlertApiTest, RulesAreTheirProtoThroughTheJsonMapping) {
  ASSERT_EQ(call("POST", "/v1/alert-rules", kHot).status, 201);
  auto listed = call("GET", "/v1/alert-rules");
  ASSERT_EQ(listed.status, 200);
  v1::AlertRuleList list;
  google::protobuf::util::JsonParseOptions strict;
  strict.ignore_unknown_fields = false;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(listed.body, &list, strict).ok()) << listed.body;
  ASSERT_EQ(list.rules_size(), 2);
  const auto& hot = list.rules(1).id() == "hot" ? list.rules(1) : list.rules(0);
  EXPECT_EQ(hot.type(), "status_threshold");
  EXPECT_EQ(hot.kind(), "poster");
  EXPECT_EQ(hot.op(), ">");
  EXPECT_DOUBLE_EQ(hot.threshold(), 70);
  EXPECT_EQ(hot.for_s(), 60);
  EXPECT_EQ(hot.source(), "api");
  EXPECT_FALSE(hot.has_after_s());                                                 // only its type's keys are printed
  EXPECT_NE(listed.body.find(R"("for_s":60)"), std::string::npos) << listed.body;  // numbers, not "60"

  auto deleted = call("DELETE", "/v1/alert-rules/hot");
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.body, R"({"deleted":"hot"})");
}

}  // namespace
}  // namespace tidewire::alerts

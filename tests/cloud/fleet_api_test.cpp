// The fleet and commands modules' HTTP APIs end to end, with the host's /metrics and
// /healthz over them: real server on 127.0.0.1:0, SQLite registry, fake MQTT.
#include "tidewire/cloud/fleet_api.hpp"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "http/client.hpp"
#include "http/server.hpp"
#include "sqlite/sqlite_registry.hpp"
#include "tests/cloud/cloud_test_support.hpp"
#include "tests/cloud/error_body.hpp"
#include "tests/fakes/fake_gate.hpp"
#include "tests/fakes/fake_transport.hpp"
#include "tidewire/cloud/batch_ingest.hpp"
#include "tidewire/cloud/command_api.hpp"
#include "tidewire/cloud/ops_routes.hpp"
#include "tidewire/protocols/batch_frame.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::cloud {
namespace {

using namespace testing;

template <typename T>
T from_json(const std::string& body) {
  T out;
  auto st = google::protobuf::util::JsonStringToMessage(body, &out);
  EXPECT_TRUE(st.ok()) << st.ToString() << " in " << body;
  return out;
}

// The fleet's and the commands' APIs, gauges and health as their modules wire them
// (cloud/module/), without a broker: what OpsRoutes serves /metrics and /healthz over.
class FleetAndCommandsApis final : public CloudModule {
 public:
  FleetAndCommandsApis(FleetRegistry& registry, FleetApi& fleet, CommandApi& commands)
      : registry_(registry), fleet_(fleet), commands_(commands) {}
  std::string name() const override { return "fleet"; }
  std::string summary() const override { return "fleet and commands (test)"; }
  Status open(ModuleContext&) override { return {}; }
  Status install(http::Router& router) override {
    if (auto st = fleet_.install(router); !st) return st;
    return commands_.install(router);
  }
  void refresh_metrics() override {
    fleet_.refresh_metrics();
    commands_.refresh_metrics();
  }
  Status health() override { return registry_.check(); }

 private:
  FleetRegistry& registry_;
  FleetApi& fleet_;
  CommandApi& commands_;
};

class FleetApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = SqliteRegistry::open({temp_db_path(), 120'000}, clock_);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    registry_ = std::move(*r);
    transport_.set_connected(true);
    commands_ = std::make_unique<CommandService>(*registry_, transport_, clock_, random_, metrics_);
    ingest_ = std::make_unique<BatchIngest>(*registry_, transport_, metrics_, clock_);
    api_ = std::make_unique<FleetApi>(*registry_, metrics_);
    command_api_ = std::make_unique<CommandApi>(*registry_, *commands_, metrics_);
    apis_ = std::make_unique<FleetAndCommandsApis>(*registry_, *api_, *command_api_);
    ops_ = std::make_unique<OpsRoutes>(
        metrics_, [this] { return transport_.is_connected(); },
        [this] { return transport::describe(transport_.refused_subscriptions()); });
    http::Router router;
    gate_ = ::tidewire::testing::admit_all(router);
    ASSERT_TRUE(ops_->install_module(*apis_, router).ok());
    ASSERT_TRUE(ops_->install(router).ok());
    http::ServerOptions options;
    options.metrics = &metrics_;
    options.max_body_bytes = 64 * 1024;
    auto s = http::Server::start(options, std::move(router));
    ASSERT_TRUE(s.ok()) << s.error().describe();
    server_ = std::move(*s);

    // A small fleet: two sites, three kinds, one device offline.
    Who p1{"p1", "site-a", v1::DEVICE_KIND_POSTER};
    Who p2{"p2", "site-a", v1::DEVICE_KIND_POSTER};
    Who r1{"r1", "site-a", v1::DEVICE_KIND_RIDER};
    Who e1{"e1", "site-a", v1::DEVICE_KIND_ENCODER};
    Who p3{"p3", "site-b", v1::DEVICE_KIND_POSTER};
    feed("edge-a", batch("edge-a", 1,
                         {presence_item(p1, 1, true), presence_item(p2, 1, true), presence_item(r1, 1, true),
                          presence_item(e1, 1, false), event_item(p1, 1), event_item(p1, 2), event_item(p1, 3),
                          poster_status_item(p1, kT0, 55)}));
    feed("edge-b", batch("edge-b", 1, {presence_item(p3, 1, true)}, "site-b"));
  }

  void feed(const std::string& edge, const v1::EdgeBatch& b) {
    ingest_->process(
        {*topics::edge_topic(edge, topics::EdgeChannel::kBatch), codec::encode_batch_frame(b, 0), 1, false});
  }

  http::Response call(const std::string& method, const std::string& target, const std::string& body = "",
                      const http::HeaderList& headers = {}) {
    auto res = http::http_request("127.0.0.1", server_->port(), method, target, body, 5000, headers);
    EXPECT_TRUE(res.ok()) << res.error().describe();
    return res.ok() ? *res : http::Response{};
  }

  // Asserts an ErrorBody with this status whose message mentions `hint`.
  void expect_error(const http::Response& res, int status, const std::string& hint) {
    EXPECT_EQ(res.status, status) << res.body;
    auto err = from_json<v1::ErrorBody>(res.body);
    EXPECT_EQ(err.status(), status);
    EXPECT_FALSE(err.error().empty());
    EXPECT_FALSE(err.reason().empty());
    EXPECT_NE(err.message().find(hint), std::string::npos) << err.message();
  }

  ManualClock clock_{kT0};
  SeededRandom random_{11};
  MetricsRegistry metrics_;
  tidewire::testing::FakeTransport transport_;
  std::unique_ptr<SqliteRegistry> registry_;
  std::unique_ptr<CommandService> commands_;
  std::unique_ptr<BatchIngest> ingest_;
  std::unique_ptr<FleetApi> api_;
  std::unique_ptr<CommandApi> command_api_;
  std::unique_ptr<FleetAndCommandsApis> apis_;
  std::unique_ptr<OpsRoutes> ops_;
  http::ServerPtr server_;
  std::shared_ptr<::tidewire::testing::FakeGate> gate_;
};

TEST_F(FleetApiTest, SummaryCountsByKindSiteAndPresence) {
  auto res = call("GET", "/v1/fleet/summary");
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.content_type, "application/json");
  auto s = from_json<v1::FleetSummary>(res.body);
  EXPECT_EQ(s.total(), 5u);
  EXPECT_EQ(s.online(), 4u);
  EXPECT_EQ(s.offline(), 1u);
  ASSERT_EQ(s.by_kind_size(), 3);
  EXPECT_EQ(s.by_kind(1).key(), "poster");
  EXPECT_EQ(s.by_kind(1).total(), 3u);
  ASSERT_EQ(s.by_site_size(), 2);
  EXPECT_EQ(s.by_site(1).key(), "site-b");
  EXPECT_EQ(s.by_site(1).online(), 1u);
  EXPECT_NE(res.body.find("\"by_kind\""), std::string::npos);  // proto field names, not camelCase
}

TEST_F(FleetApiTest, SummaryCountsAreJsonNumbers) {
  auto body = call("GET", "/v1/fleet/summary").body;
  EXPECT_NE(body.find(R"("total":5,"online":4,"offline":1)"), std::string::npos) << body;
  EXPECT_NE(body.find(R"({"key":"poster","total":3,"online":3})"), std::string::npos) << body;
  auto device = call("GET", "/v1/devices/p1").body;
  EXPECT_NE(device.find(R"("events_stored":3)"), std::string::npos) << device;
  EXPECT_NE(device.find(R"("last_seen_ms":")"), std::string::npos) << device;  // 64-bit: a string
}

TEST_F(FleetApiTest, ListFiltersByKindSiteAndOnline) {
  auto posters = from_json<v1::DeviceList>(call("GET", "/v1/devices?kind=poster&site=site-a").body);
  ASSERT_EQ(posters.devices_size(), 2);
  EXPECT_EQ(posters.devices(0).device_id(), "p1");
  EXPECT_EQ(posters.devices(0).kind(), v1::DEVICE_KIND_POSTER);
  EXPECT_EQ(posters.devices(0).last_status().poster().brightness_pct(), 55u);
  EXPECT_EQ(posters.devices(1).device_id(), "p2");
  EXPECT_TRUE(posters.next_page_token().empty());

  auto offline = from_json<v1::DeviceList>(call("GET", "/v1/devices?online=false").body);
  ASSERT_EQ(offline.devices_size(), 1);
  EXPECT_EQ(offline.devices(0).device_id(), "e1");
  auto body = call("GET", "/v1/devices?kind=rider").body;
  EXPECT_NE(body.find("\"kind\":\"DEVICE_KIND_RIDER\""), std::string::npos) << body;  // enums by name
}

TEST_F(FleetApiTest, PagingWalksEveryDeviceOnceInIdOrder) {
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    std::string target = "/v1/devices?page_size=2";
    if (!token.empty()) target += "&page_token=" + http::percent_encode(token);
    auto list = from_json<v1::DeviceList>(call("GET", target).body);
    for (const auto& d : list.devices()) seen.push_back(d.device_id());
    token = list.next_page_token();
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"e1", "p1", "p2", "p3", "r1"}));
  EXPECT_EQ(pages, 3);
}

TEST_F(FleetApiTest, BadQueryValuesAre400WithTheAllowedValues) {
  expect_error(call("GET", "/v1/devices?kind=robot"), 400, "poster, rider, encoder or merchant");
  expect_error(call("GET", "/v1/devices?online=maybe"), 400, "true or false");
  expect_error(call("GET", "/v1/devices?page_size=0"), 400, "from 1 to 1000");
  expect_error(call("GET", "/v1/devices?page_size=abc"), 400, "from 1 to 1000");
  expect_error(call("GET", "/v1/devices?site=bad/site"), 400, "[A-Za-z0-9_-]");
  expect_error(call("GET", "/v1/devices?page_token=%21%21"), 400, "page_token");
  expect_error(call("GET", "/v1/devices?knd=poster"), 400, "unknown query parameter 'knd'");
  expect_error(call("GET", "/v1/devices/p1/events?limit=5000"), 400, "limit");
}

TEST_F(FleetApiTest, DeviceByIdAnd404) {
  auto res = call("GET", "/v1/devices/p1");
  ASSERT_EQ(res.status, 200);
  auto d = from_json<v1::Device>(res.body);
  EXPECT_EQ(d.device_id(), "p1");
  EXPECT_EQ(d.edge_id(), "edge-a");
  EXPECT_EQ(d.events_stored(), 3u);
  EXPECT_TRUE(d.online());
  expect_error(call("GET", "/v1/devices/ghost"), 404, "ghost");
}

TEST_F(FleetApiTest, EventsOfADeviceWithPaging) {
  auto res = call("GET", "/v1/devices/p1/events?limit=2");
  ASSERT_EQ(res.status, 200);
  auto page = from_json<v1::EventList>(res.body);
  EXPECT_EQ(page.device_id(), "p1");
  ASSERT_EQ(page.events_size(), 2);
  const auto& first = page.events(0);
  EXPECT_EQ(first.seq(), 1u);
  EXPECT_EQ(first.boot_id(), "boot-1");
  EXPECT_EQ(first.type(), "display.changed");
  EXPECT_EQ(first.attributes().at("creative"), "c-1");
  EXPECT_EQ(first.stored_ms(), kT0);
  EXPECT_NE(res.body.find("\"priority\":\"PRIORITY_NORMAL\""), std::string::npos) << res.body;
  EXPECT_EQ(page.next_after_seq(), 2u);

  auto rest = from_json<v1::EventList>(call("GET", "/v1/devices/p1/events?after_seq=2&limit=1").body);
  ASSERT_EQ(rest.events_size(), 1);
  EXPECT_EQ(rest.events(0).seq(), 3u);
  EXPECT_EQ(rest.next_after_seq(), 0u);  // a page exactly filled by the last event says no more
  auto none = from_json<v1::EventList>(call("GET", "/v1/devices/p1/events?after_seq=3").body);
  EXPECT_EQ(none.events_size(), 0);
  EXPECT_EQ(none.next_after_seq(), 0u);
  expect_error(call("GET", "/v1/devices/ghost/events"), 404, "ghost");
}

TEST_F(FleetApiTest, CreateAndReadACommand) {
  auto res = call("POST", "/v1/devices/p1/commands", R"({"name":"set_brightness","args":{"pct":"40"},"timeout_s":30})");
  ASSERT_EQ(res.status, 201) << res.body;
  auto view = from_json<v1::CommandView>(res.body);
  EXPECT_EQ(view.state(), v1::COMMAND_STATE_SENT);
  EXPECT_EQ(view.deadline_ms(), kT0 + 30'000);
  EXPECT_EQ(transport_.sent_on(*topics::edge_topic("edge-a", topics::EdgeChannel::kCommand)).size(), 1u);

  auto got = call("GET", "/v1/commands/" + view.command_id());
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(from_json<v1::CommandView>(got.body).args().at("pct"), "40");
  expect_error(call("GET", "/v1/commands/cmd-nope"), 404, "cmd-nope");
}

TEST_F(FleetApiTest, IdempotencyKeyHeaderReplaysAndConflicts) {
  http::HeaderList key{{"Idempotency-Key", "op-1"}};
  auto first = call("POST", "/v1/devices/p1/commands", R"({"name":"reboot"})", key);
  ASSERT_EQ(first.status, 201);
  auto replay = call("POST", "/v1/devices/p1/commands", R"({"name":"reboot"})", key);
  ASSERT_EQ(replay.status, 200);
  EXPECT_EQ(from_json<v1::CommandView>(replay.body).command_id(), from_json<v1::CommandView>(first.body).command_id());
  expect_error(call("POST", "/v1/devices/p1/commands", R"({"name":"shutdown"})", key), 409, "op-1");
}

TEST_F(FleetApiTest, BadCommandBodiesAreExplained) {
  expect_error(call("POST", "/v1/devices/p1/commands", "{not json"), 400, "CommandRequest");
  expect_error(call("POST", "/v1/devices/p1/commands", R"({"nme":"reboot"})"), 400, "nme");
  expect_error(call("POST", "/v1/devices/p1/commands", ""), 400, "CommandRequest");
  expect_error(call("POST", "/v1/devices/p1/commands", R"({"name":""})"), 400, "command name");
  expect_error(call("POST", "/v1/devices/ghost/commands", R"({"name":"reboot"})"), 404, "ghost");
  // The device id goes into its cmd topic, where NATS and RabbitMQ cannot carry a '.'.
  auto dotted = call("POST", "/v1/devices/p.1/commands", R"({"name":"reboot"})");
  expect_error(dotted, 400, "device id 'p.1' must be 1-64 characters of [A-Za-z0-9_-] (no '.'");
  tidewire::testing::expect_error_body(dotted, 400, "invalid_device_id");

  auto huge = call("POST", "/v1/devices/p1/commands", std::string(200 * 1024, ' '));
  EXPECT_EQ(huge.status, 413);
  EXPECT_TRUE(transport_.sent_on(*topics::edge_topic("edge-a", topics::EdgeChannel::kCommand)).empty());
  // Command names never travel in a topic and keep their dots.
  EXPECT_EQ(call("POST", "/v1/devices/p1/commands", R"({"name":"display.refresh"})").status, 201);
}

TEST_F(FleetApiTest, UnknownRouteIs404AndWrongMethodIs405) {
  expect_error(call("GET", "/v1/nothing"), 404, "/v1/nothing");
  auto res = call("DELETE", "/v1/devices/p1");
  expect_error(res, 405, "DELETE");
  expect_error(call("POST", "/v1/fleet/summary", "{}"), 405, "GET");
}

TEST_F(FleetApiTest, ErrorsHaveTheOneBodyShapeWithAReason) {
  using tidewire::testing::expect_error_body;
  expect_error_body(call("POST", "/v1/devices/p1/commands", "{not json"), 400, "invalid_json");
  expect_error_body(call("POST", "/v1/devices/p1/commands", R"({"nme":"reboot"})"), 400, "unknown_key");
  expect_error_body(call("POST", "/v1/devices/p1/commands", R"({"name":"ping","name":"reboot"})"), 400,
                    "duplicate_key");
  expect_error_body(call("POST", "/v1/devices/p1/commands", R"({"name":"no spaces"})"), 400, "invalid_command_name");
  expect_error_body(call("GET", "/v1/devices/ghost"), 404, "unknown_device");
  expect_error_body(call("POST", "/v1/devices/ghost/commands", R"({"name":"reboot"})"), 404, "unknown_device");
  expect_error_body(call("GET", "/v1/commands/cmd-nope"), 404, "unknown_command");
  http::HeaderList key{{"Idempotency-Key", "op-9"}};
  ASSERT_EQ(call("POST", "/v1/devices/p1/commands", R"({"name":"reboot"})", key).status, 201);
  expect_error_body(call("POST", "/v1/devices/p1/commands", R"({"name":"shutdown"})", key), 409,
                    "idempotency_conflict");
  expect_error_body(call("GET", "/v1/devices?knd=poster"), 400, "unknown_query_parameter");
  expect_error_body(call("GET", "/v1/devices?online=maybe"), 400, "invalid_query");
  expect_error_body(call("GET", "/v1/devices?page_token=%21%21"), 400, "invalid_page_token");
  // The router's own refusals have the same shape.
  expect_error_body(call("GET", "/v1/nothing"), 404, "no_route");
  expect_error_body(call("DELETE", "/v1/devices/p1"), 405, "method_not_allowed");
}

TEST_F(FleetApiTest, MetricsExposeTheExpectedFamilies) {
  call("GET", "/v1/fleet/summary");
  auto res = call("GET", "/metrics");
  ASSERT_EQ(res.status, 200);
  EXPECT_NE(res.content_type.find("text/plain"), std::string::npos);
  for (const char* family : {"tw_cloud_items_total{type=\"event\",outcome=\"accepted\"} 3",
                             "tw_cloud_batch_items_bucket", "tw_cloud_rejects_total", "tw_cloud_duplicates_total",
                             "tw_cloud_ingest_queue_depth", "tw_cloud_commands{state=\"COMMAND_STATE_SENT\"} 0",
                             "tw_cloud_devices{presence=\"online\"} 4", "tw_cloud_mqtt_connected 1",
                             "tw_http_requests_total{server=\"http\",method=\"GET\",route=\"/v1/fleet/summary\","
                             "status=\"200\"} 1",
                             "tw_http_request_duration_ms_bucket", "tw_cloud_acks_total 2"}) {
    EXPECT_NE(res.body.find(family), std::string::npos) << family << "\n" << res.body;
  }
}

TEST_F(FleetApiTest, HealthzFollowsTheBrokerConnection) {
  auto ok = call("GET", "/healthz");
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("\"mqtt\":\"connected\""), std::string::npos);
  transport_.set_connected(false);
  auto down = call("GET", "/healthz");
  EXPECT_EQ(down.status, 503);
  EXPECT_NE(down.body.find("\"status\":\"unavailable\""), std::string::npos);
}

// As CloudHost wires it: a subscription the broker refused or downgraded makes the cloud
// not ready, naming the filter and the SUBACK code, though the connection is up.
TEST_F(FleetApiTest, HealthzReportsRefusedSubscriptionsAsUnavailable) {
  transport_.refused = {{"tw/v1/edge/+/batch", 1, transport::kSubackFailure}, {"tw/v1/push/+/receipt", 1, 0}};
  auto res = call("GET", "/healthz");
  EXPECT_EQ(res.status, 503);
  EXPECT_NE(res.body.find("\"status\":\"unavailable\""), std::string::npos) << res.body;
  EXPECT_NE(res.body.find("connected; subscriptions refused: tw/v1/edge/+/batch (SUBACK 0x80 for QoS 1), "
                          "tw/v1/push/+/receipt (SUBACK 0x00 for QoS 1)"),
            std::string::npos)
      << res.body;
  transport_.refused.clear();
  EXPECT_EQ(call("GET", "/healthz").status, 200);
}

TEST_F(FleetApiTest, SilentDevicesTurnOfflineInTheApi) {
  clock_.advance_ms(121'000);
  auto s = from_json<v1::FleetSummary>(call("GET", "/v1/fleet/summary").body);
  EXPECT_EQ(s.online(), 0u);
  EXPECT_EQ(s.offline(), 5u);
}

}  // namespace
}  // namespace tidewire::cloud

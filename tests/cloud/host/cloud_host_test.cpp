// The CloudHost with a module that exists only in this test ("tally"): written against
// module.hpp alone and registered here, it gets its option, its route, its MQTT filter,
// the device items it subscribed to through the real fleet module's ingest, ticks, and a
// stop in reverse order of start — without touching another module or a core file.
// A real mosquitto on a free loopback port, a paho client as the edge, real HTTP.
#include "tidewire/cloud/cloud_host.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>

#include "fleet_module.hpp"
#include "http/client.hpp"
#include "process/process.hpp"
#include "process/throwaway_ca.hpp"
#include "tests/cloud/cloud_test_support.hpp"
#include "tests/fakes/fake_gate.hpp"
#include "tidewire/cloud/fleet_registry.hpp"
#include "tidewire/protocols/batch_frame.hpp"
#include "tidewire/protocols/codec.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/transport/paho_client.hpp"

namespace tidewire::cloud {
namespace {

namespace fs = std::filesystem;
using namespace testing;

// What the test modules did, in order, across modules.
struct Journal {
  std::mutex mu;
  std::vector<std::string> lines;
  void add(const std::string& line) {
    std::lock_guard lock(mu);
    lines.push_back(line);
  }
  std::vector<std::string> snapshot() {
    std::lock_guard lock(mu);
    return lines;
  }
};

class TallyModule final : public CloudModule {
 public:
  TallyModule(std::string name, Journal& journal) : name_(std::move(name)), journal_(journal) {}

  std::string name() const override { return name_; }
  std::string summary() const override { return "counts what reaches it (test only)"; }
  std::vector<OptionSpec> options() const override {
    return {{name_ + "-label", OptionSpec::Type::kString, "plain", "a word shown by GET /v1/" + name_}};
  }
  Status check(const Config& c) const override {
    if (c.str(name_ + "-label").empty())
      return make_error(ErrorCode::kInvalidArgument, "--" + name_ + "-label is empty");
    return {};
  }
  Status open(ModuleContext& ctx) override {
    label_ = ctx.config.str(name_ + "-label");
    fleet_seen_ = ctx.services.find<FleetRegistry>() != nullptr;
    ctx.devices.subscribe({name_,
                           {{DeviceItemType::kEvent, v1::DEVICE_KIND_POSTER, "tally.", true}},
                           [this](const DeviceItem& item) {
                             last_event_ = item.envelope.event().type();
                             ++events_;
                             return true;
                           },
                           nullptr});
    journal_.add("open " + name_);
    return {};
  }
  Status install(http::Router& router) override {
    return router.add("GET", "/v1/" + name_, http::Access::to({"operator"}), [this](const http::Request&) {
      return http::Response::json(200, "{\"label\":\"" + label_ + "\",\"events\":" + std::to_string(events_.load()) +
                                           ",\"messages\":" + std::to_string(messages_.load()) + "}");
    });
  }
  std::vector<MqttRoute> mqtt_routes() override {
    return {{name_ + "/+/in", 1, [this](const transport::Message&) { ++messages_; }}};
  }
  Status start() override {
    journal_.add("start " + name_);
    return {};
  }
  void tick() override { ++ticks_; }
  Status health() override {
    if (broken_) return make_error(ErrorCode::kUnavailable, name_ + " lost its marbles");
    return {};
  }
  void stop() override { journal_.add("stop " + name_); }

  std::atomic<int> events_{0};
  std::atomic<int> messages_{0};
  std::atomic<int> ticks_{0};
  bool fleet_seen_ = false;
  std::string last_event_;
  std::atomic<bool> broken_{false};

 private:
  std::string name_;
  Journal& journal_;
  std::string label_;
};

// Stands in for the identity module: provides a Gate admitting everyone as an operator,
// so these tests see how the host finds and installs it (tests/cloud/identity test the
// real one).
class GateModule final : public CloudModule {
 public:
  std::string name() const override { return "gate"; }
  std::string summary() const override { return "admits everyone (test only)"; }
  bool keeps_store() const override { return false; }
  Status open(ModuleContext& ctx) override {
    ctx.services.provide<http::Gate>(gate_);
    return {};
  }

 private:
  ::tidewire::testing::FakeGate gate_;
};

class CloudHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("tw-cloud-host-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    process::LocalBroker::Options bo;
    bo.work_dir = dir_.string();
    auto broker = process::LocalBroker::start(bo);
    ASSERT_TRUE(broker.ok()) << broker.error().describe();
    broker_ = std::move(*broker);
  }
  void TearDown() override {
    edge_.reset();
    host_.reset();
    broker_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // A host of a gate, the fleet module and two tally modules, "tally" and "probe".
  void make_host(bool with_gate = true) {
    std::vector<CloudModulePtr> modules;
    if (with_gate) modules.push_back(std::make_unique<GateModule>());
    modules.push_back(make_fleet_module());
    auto tally = std::make_unique<TallyModule>("tally", journal_);
    auto probe = std::make_unique<TallyModule>("probe", journal_);
    tally_ = tally.get();
    probe_ = probe.get();
    modules.push_back(std::move(tally));
    modules.push_back(std::move(probe));
    host_ = std::make_unique<CloudHost>(std::move(modules));
  }
  Config config_with(const std::vector<std::pair<std::string, std::string>>& values) {
    Config c = host_->make_config();
    EXPECT_TRUE(c.set("http-port", "0", "test").ok());
    EXPECT_TRUE(c.set("mqtt-port", std::to_string(broker_->port()), "test").ok());
    EXPECT_TRUE(c.set("store", "sqlite:" + (dir_ / "cloud.db").string(), "test").ok());
    for (const auto& [k, v] : values) EXPECT_TRUE(c.set(k, v, "test").ok()) << k;
    return c;
  }
  void connect_edge() {
    edge_ = std::make_unique<transport::PahoClient>();
    transport::ConnectOptions co;
    co.port = broker_->port();
    co.client_id = "test-edge";
    ASSERT_TRUE(edge_->connect(co).ok());
    ASSERT_TRUE(process::wait_until([&] { return edge_->is_connected(); }, 10'000));
  }
  std::string get(const std::string& target) {
    auto r = http::http_request("127.0.0.1", host_->http_port(), "GET", target, "", 2000);
    return r.ok() ? std::to_string(r->status) + " " + r->body : "error";
  }

  fs::path dir_;
  std::unique_ptr<process::LocalBroker> broker_;
  Journal journal_;
  TallyModule* tally_ = nullptr;
  TallyModule* probe_ = nullptr;
  std::unique_ptr<CloudHost> host_;
  std::unique_ptr<transport::PahoClient> edge_;
};

TEST_F(CloudHostTest, ATestOnlyModuleGetsItsOptionRouteTopicDeviceItemsAndTicksAndStopsInReverseOrder) {
  make_host();
  // edge-sites = batch: this is about the host's routing, not which site an edge serves
  // (BatchIngest's own tests and AttackTest cover that), so edge-1 needs no credential.
  Config config = config_with({{"tally-label", "counted"}, {"edge-sites", "batch"}});
  ASSERT_TRUE(host_->check(config).ok());
  auto started = host_->start(config);
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_EQ(host_->running(), (std::vector<std::string>{"gate", "fleet", "tally", "probe"}));
  EXPECT_TRUE(tally_->fleet_seen_);  // modules before it provide their services
  EXPECT_EQ(get("/v1/tally"), "200 {\"label\":\"counted\",\"events\":0,\"messages\":0}");
  EXPECT_EQ(get("/v1/probe"), "200 {\"label\":\"plain\",\"events\":0,\"messages\":0}");

  // A batch through the fleet module's ingest: the poster's "tally." event reaches both
  // subscribers once, the other event neither; and the batch is stored (the fleet API).
  connect_edge();
  Who poster;
  auto b = batch("edge-1", 1, {event_item(poster, 1, kT0, "tally.hit"), event_item(poster, 2, kT0, "display.changed")});
  ASSERT_TRUE(edge_
                  ->publish({*topics::edge_topic("edge-1", topics::EdgeChannel::kBatch),
                             codec::encode_batch_frame(b, 0), 1, false})
                  .ok());
  ASSERT_TRUE(process::wait_until([&] { return tally_->events_ == 1 && probe_->events_ == 1; }, 10'000));
  EXPECT_EQ(tally_->last_event_, "tally.hit");
  ASSERT_TRUE(process::wait_until([&] { return get("/v1/devices/poster-1").rfind("200 ", 0) == 0; }, 10'000));

  // Its MQTT filter: messages on tally/+/in go to it, not to probe.
  ASSERT_TRUE(edge_->publish({"tally/x/in", "hello", 1, false}).ok());
  ASSERT_TRUE(process::wait_until([&] { return tally_->messages_ == 1; }, 10'000));
  EXPECT_EQ(probe_->messages_, 0);

  host_->tick();
  EXPECT_EQ(tally_->ticks_, 1);
  host_->stop();
  EXPECT_EQ(journal_.snapshot(), (std::vector<std::string>{"open tally", "open probe", "start tally", "start probe",
                                                           "stop probe", "stop tally"}));
}

TEST_F(CloudHostTest, ModulesRunsASubsetAndTheOthersAreNeitherOpenedNorRouted) {
  make_host();
  Config config = config_with({{"modules", "gate,probe"}});
  auto started = host_->start(config);
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_EQ(host_->running(), (std::vector<std::string>{"gate", "probe"}));
  EXPECT_FALSE(probe_->fleet_seen_);
  EXPECT_EQ(get("/v1/probe").substr(0, 4), "200 ");
  EXPECT_EQ(get("/v1/tally").substr(0, 4), "404 ");
  EXPECT_EQ(get("/v1/fleet/summary").substr(0, 4), "404 ");
  EXPECT_FALSE(fs::exists(dir_ / "cloud.db"));  // fleet's store was never opened
}

TEST_F(CloudHostTest, BadModuleListsAndStoresAreRefusedNamingTheOption) {
  make_host();
  auto unknown = host_->check(config_with({{"modules", "fleet,live"}}));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("no module 'live' (there are: fleet,gate,probe,tally)"), std::string::npos)
      << unknown.error().message;
  auto label = host_->check(config_with({{"tally-label", ""}}));
  ASSERT_FALSE(label.ok());
  EXPECT_EQ(label.error().message, "--tally-label is empty");
  auto store = host_->check(config_with({{"tally-store", "postgres://db/tw"}}));
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("--tally-store: store URL 'postgres://db/tw' names backend 'postgres'"),
            std::string::npos)
      << store.error().message;
}

TEST_F(CloudHostTest, TheHostServesTheIndexAndHealthOfEveryModule) {
  make_host();
  Config config = config_with({});
  auto started = host_->start(config);
  ASSERT_TRUE(started.ok()) << started.error().message;
  auto index = get("/");
  EXPECT_EQ(index.substr(0, 4), "200 ");
  for (const char* line :
       {"<h2>fleet</h2>", "<a href=\"/v1/fleet/summary\">GET /v1/fleet/summary</a> &mdash; operator|installer",
        "<li>GET /v1/devices/{id} &mdash; operator|installer</li>", "<h2>tally</h2>",
        "<p>counts what reaches it (test only)</p>", "<a href=\"/v1/tally\">GET /v1/tally</a> &mdash; operator",
        "<a href=\"/v1/probe\">"}) {
    EXPECT_NE(index.find(line), std::string::npos) << line << "\n" << index;
  }
  ASSERT_TRUE(process::wait_until([&] { return get("/healthz").substr(0, 4) == "200 "; }, 10'000)) << get("/healthz");
  auto healthy = get("/healthz");
  for (const char* part :
       {"\"status\":\"ok\"", "\"mqtt\":\"connected\"", "\"fleet\":\"ok\"", "\"probe\":\"ok\"", "\"tally\":\"ok\""}) {
    EXPECT_NE(healthy.find(part), std::string::npos) << part << " in " << healthy;
  }
  // One module unwell: the process says so, and says which.
  probe_->broken_ = true;
  auto sick = get("/healthz");
  EXPECT_EQ(sick.substr(0, 4), "503 ") << sick;
  EXPECT_NE(sick.find("\"probe\":\"probe lost its marbles\""), std::string::npos) << sick;
  EXPECT_NE(sick.find("\"status\":\"unavailable\""), std::string::npos) << sick;
  // And when the broker goes, /healthz turns 503 too.
  probe_->broken_ = false;
  broker_.reset();
  EXPECT_TRUE(process::wait_until(
      [&] { return get("/healthz").find("\"mqtt\":\"disconnected\"") != std::string::npos; }, 10'000))
      << get("/healthz");
}

TEST_F(CloudHostTest, WithoutAModuleThatChecksCredentialsOnlyHealthAnswers) {
  make_host(false);
  auto started = host_->start(config_with({}));
  ASSERT_TRUE(started.ok()) << started.error().message;
  for (const char* target : {"/", "/metrics", "/v1/fleet/summary", "/v1/tally"}) {
    EXPECT_EQ(get(target).substr(0, 4), "401 ") << target;
  }
  EXPECT_TRUE(process::wait_until([&] { return get("/healthz").substr(0, 4) == "200 "; }, 10'000)) << get("/healthz");
}

TEST_F(CloudHostTest, HttpsTakesACertificateAndItsKeyAndSaysWhichOptionIsWrong) {
  make_host();
  auto ca = process::ThrowawayCa::make((dir_ / "ca").string());
  ASSERT_TRUE(ca.ok()) << ca.error().describe();
  auto refused = [&](const std::vector<std::pair<std::string, std::string>>& values) {
    auto st = host_->check(config_with(values));
    return st.ok() ? std::string("accepted") : st.error().message;
  };
  EXPECT_EQ(refused({{"http-tls-cert", ca->server.cert}}),
            "--http-tls-cert needs --http-tls-key: HTTPS takes the certificate and its private key");
  EXPECT_EQ(refused({{"http-tls-key", ca->server.key}}),
            "--http-tls-key needs --http-tls-cert: HTTPS takes the certificate and its private key");
  const std::string missing = (dir_ / "missing.key").string();
  EXPECT_EQ(refused({{"http-tls-cert", ca->server.cert}, {"http-tls-key", missing}}),
            "--http-tls-key: cannot read " + missing);
  auto other = ca->client("someone");
  ASSERT_TRUE(other.ok());
  auto mismatch = refused({{"http-tls-cert", ca->server.cert}, {"http-tls-key", other->key}});
  EXPECT_EQ(mismatch.rfind("--http-tls-cert/--http-tls-key: ", 0), 0u) << mismatch;
  EXPECT_EQ(refused({{"http-tls-cert", ca->server.cert}, {"http-tls-key", ca->server.key}}), "accepted");
}

TEST_F(CloudHostTest, WithACertificateAndKeyTheApiIsServedOverHttpsOnly) {
  make_host();
  auto ca = process::ThrowawayCa::make((dir_ / "ca").string());
  ASSERT_TRUE(ca.ok()) << ca.error().describe();
  Config config = config_with({{"http-tls-cert", ca->server.cert}, {"http-tls-key", ca->server.key}});
  ASSERT_TRUE(host_->check(config).ok());
  auto started = host_->start(config);
  ASSERT_TRUE(started.ok()) << started.error().message;
  auto https_get = [&](const std::string& target) {
    auto r = http::http_request(http::ClientTls{ca->ca.cert}, "127.0.0.1", host_->http_port(), "GET", target, "", 2000);
    return r.ok() ? std::to_string(r->status) + " " + r->body : r.error().describe();
  };
  EXPECT_EQ(https_get("/v1/tally"), "200 {\"label\":\"plain\",\"events\":0,\"messages\":0}");
  EXPECT_TRUE(process::wait_until([&] { return https_get("/healthz").substr(0, 4) == "200 "; }, 10'000))
      << https_get("/healthz");
  EXPECT_EQ(get("/healthz"), "error");  // plain HTTP gets no answer on the HTTPS port
}

// A module that claims another's route: refused at start, naming both.
class GreedyModule final : public CloudModule {
 public:
  std::string name() const override { return "greedy"; }
  std::string summary() const override { return "takes the fleet's route (test only)"; }
  Status open(ModuleContext&) override { return {}; }
  Status install(http::Router& router) override {
    return router.add("GET", "/v1/fleet/summary", http::Access::to({"operator"}),
                      [](const http::Request&) { return http::Response::json(200, "{}"); });
  }
};

TEST_F(CloudHostTest, AModuleCannotTakeAnotherModulesRoute) {
  std::vector<CloudModulePtr> modules;
  modules.push_back(make_fleet_module());
  modules.push_back(std::make_unique<GreedyModule>());
  host_ = std::make_unique<CloudHost>(std::move(modules));
  auto started = host_->start(config_with({}));
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("routes of module greedy"), std::string::npos) << started.error().message;
  EXPECT_NE(started.error().message.find("route GET /v1/fleet/summary is already taken"), std::string::npos)
      << started.error().message;
}

TEST(StoreUrl, ParsesAbsoluteAndRelativeSqlitePathsAndRefusesTheRest) {
  auto abs = parse_store_url("sqlite:///var/lib/tidewire/cloud.db", {"sqlite"});
  ASSERT_TRUE(abs.ok());
  EXPECT_EQ(abs->scheme, "sqlite");
  EXPECT_EQ(abs->path, "/var/lib/tidewire/cloud.db");
  auto rel = parse_store_url("sqlite:cloud.db", {"sqlite"});
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(rel->path, "cloud.db");
  for (const char* bad : {"cloud.db", ":x", "sqlite:", "sqlite://host/x.db", "postgres://h/db"}) {
    EXPECT_FALSE(parse_store_url(bad, {"sqlite"}).ok()) << bad;
  }
  StoreFactory stores(*rel, {{"push", *abs}});
  EXPECT_EQ(stores.url_for("push").path, "/var/lib/tidewire/cloud.db");
  EXPECT_EQ(stores.url_for("fleet").path, "cloud.db");
}

}  // namespace
}  // namespace tidewire::cloud

// The edge against two real mosquitto brokers (site and cloud) with real paho clients:
// a device publishes, the edge spools and acks, a fake cloud receives the batches and acks
// them, and the spool empties. Then the tidewire-edge binary itself: SIGTERM exits 0, and
// kill -9 loses nothing that was acked to a device.
#include <gtest/gtest.h>

#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>

#include "http/client.hpp"
#include "process/process.hpp"
#include "sqlite/sqlite_spool.hpp"
#include "tests/edge/edge_test_support.hpp"
#include "tidewire/edge/relay_host.hpp"
#include "tidewire/protocols/batch_frame.hpp"
#include "tidewire/transport/paho_client.hpp"

namespace tidewire::edge {
namespace {

using namespace tidewire::edge::testing;
using process::wait_until;

constexpr int64_t kWaitMs = 15'000;

transport::ConnectOptions connect_to(int port, const std::string& client_id) {
  transport::ConnectOptions o;
  o.port = port;
  o.client_id = client_id;
  o.reconnect_min_ms = 100;
  o.reconnect_max_ms = 1000;
  return o;
}

// A test-side MQTT client that records what it hears.
class Peer {
 public:
  explicit Peer(const std::string& name) : name_(name) {
    client_.set_message_handler([this](const transport::Message& m) {
      std::lock_guard lock(mu_);
      heard_.push_back(m);
      if (on_message_) on_message_(m);
    });
  }
  Status connect(int port) {
    auto st = client_.connect(connect_to(port, name_));
    if (!st) return st;
    if (!wait_until([this] { return client_.is_connected(); }, kWaitMs)) {
      return make_error(ErrorCode::kTimeout, name_ + " did not connect");
    }
    return {};
  }
  std::vector<transport::Message> heard() {
    std::lock_guard lock(mu_);
    return heard_;
  }
  // Runs on paho's thread for every message (after it is recorded).
  void on_message(std::function<void(const transport::Message&)> f) { on_message_ = std::move(f); }
  transport::PahoClient& client() { return client_; }

 private:
  std::string name_;
  std::mutex mu_;
  std::vector<transport::Message> heard_;
  std::function<void(const transport::Message&)> on_message_;
  transport::PahoClient client_;
};

// Subscribes to every edge's batches, records the items and (when told to) acks them.
class FakeCloud {
 public:
  explicit FakeCloud(bool ack) : ack_(ack), peer_("fake-cloud") {
    peer_.on_message([this](const transport::Message& m) { on_batch(m); });
  }
  Status connect(int port) {
    if (auto st = peer_.client().subscribe(topics::cloud_batch_filter(), 1); !st) return st;
    return peer_.connect(port);
  }
  std::set<uint64_t> event_seqs() {
    std::lock_guard lock(mu_);
    return seqs_;
  }
  size_t batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }
  Status send_commands(const std::string& edge_id, const v1::CommandBatch& batch) {
    return peer_.client().publish(
        {*topics::edge_topic(edge_id, topics::EdgeChannel::kCommand), codec::encode(batch), 1, false});
  }

 private:
  void on_batch(const transport::Message& m) {
    auto batch = codec::decode_batch_frame(m.payload);
    if (!batch) return;
    {
      std::lock_guard lock(mu_);
      batches_++;
      for (const auto& item : batch->items())
        if (item.envelope().has_event()) seqs_.insert(item.envelope().seq());
    }
    if (!ack_) return;
    v1::BatchAck ack;
    ack.set_edge_id(batch->edge_id());
    ack.set_batch_id(batch->batch_id());
    *ack.mutable_spool_ids() = batch->spool_ids();
    ack.set_accepted(static_cast<uint32_t>(batch->items_size()));
    (void)peer_.client().publish({*topics::edge_topic(batch->edge_id(), topics::EdgeChannel::kAck),
                                  codec::encode(ack), 1, false});
  }

  bool ack_;
  std::mutex mu_;
  std::set<uint64_t> seqs_;
  size_t batches_ = 0;
  Peer peer_;
};

// A device on the site broker: publishes events, tracks the highest ack.
class Device {
 public:
  explicit Device(const topics::DeviceAddress& a) : address_(a), peer_(a.device_id) {}
  Status connect(int port) {
    for (auto ch : {topics::Channel::kAck, topics::Channel::kCommand}) {
      if (auto st = peer_.client().subscribe(*topics::device_topic(address_, ch), 1); !st) return st;
    }
    return peer_.connect(port);
  }
  Status publish_event(uint64_t seq, uint64_t floor) {
    auto w = event(address_, "boot-1", seq, floor);
    return peer_.client().publish({w.topic, w.payload, 1, false});
  }
  uint64_t acked() {
    uint64_t best = 0;
    auto ack_topic = *topics::device_topic(address_, topics::Channel::kAck);
    for (const auto& m : peer_.heard()) {
      if (m.topic != ack_topic) continue;
      auto ack = codec::decode_device_ack(m.payload);
      if (ack) best = std::max(best, ack->up_to_seq());
    }
    return best;
  }
  std::vector<v1::Command> commands() {
    std::vector<v1::Command> out;
    auto cmd_topic = *topics::device_topic(address_, topics::Channel::kCommand);
    for (const auto& m : peer_.heard()) {
      if (m.topic != cmd_topic) continue;
      if (auto c = codec::decode_command(m.payload)) out.push_back(*c);
    }
    return out;
  }

 private:
  topics::DeviceAddress address_;
  Peer peer_;
};

class EdgeIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto* b : {&site_broker, &cloud_broker}) {
      process::LocalBroker::Options o;
      o.work_dir = dir.path();
      auto broker = process::LocalBroker::start(o);
      ASSERT_TRUE(broker.ok()) << broker.error().describe();
      *b = std::move(*broker);
    }
  }

  ScratchDir dir;
  process::LocalBrokerPtr site_broker;
  process::LocalBrokerPtr cloud_broker;
  topics::DeviceAddress d1 = address("d1", "s1", v1::DEVICE_KIND_POSTER);
};

TEST_F(EdgeIntegrationTest, EventsFlowDeviceToCloudAndCommandsFlowBack) {
  auto spool = SqliteSpool::open({dir.file("spool.db"), 64 << 20});
  ASSERT_TRUE(spool.ok()) << spool.error().describe();
  SystemClock clock;
  MetricsRegistry registry;
  EdgeMetrics metrics(registry);
  transport::PahoClient site;
  transport::PahoClient cloud;
  RelayOptions options;
  options.edge_id = "e1";
  options.site = "s1";
  options.uplink.max_items = 20;
  options.uplink.max_delay_ms = 20;
  Relay relay(options, **spool, site, cloud, clock, metrics);
  RelayHost host(relay, site, cloud, clock, metrics, HostOptions{1000, 16 << 20, 0});

  FakeCloud fake_cloud(/*ack=*/true);
  ASSERT_TRUE(fake_cloud.connect(cloud_broker->port()).ok());
  ASSERT_TRUE(host.start(connect_to(site_broker->port(), "edge-site"), connect_to(cloud_broker->port(), "edge-cloud")).ok());
  ASSERT_TRUE(wait_until([&] { return metrics.site_connected.value() == 1 && metrics.uplink_connected.value() == 1; },
                         kWaitMs));

  Device device(d1);
  ASSERT_TRUE(device.connect(site_broker->port()).ok());
  constexpr uint64_t kEvents = 100;
  for (uint64_t s = 1; s <= kEvents; ++s) ASSERT_TRUE(device.publish_event(s, 1).ok());

  EXPECT_TRUE(wait_until([&] { return device.acked() == kEvents; }, kWaitMs)) << "acked " << device.acked();
  EXPECT_TRUE(wait_until([&] { return fake_cloud.event_seqs().size() == kEvents; }, kWaitMs))
      << fake_cloud.event_seqs().size() << " events reached the cloud";
  EXPECT_TRUE(wait_until([&] { return metrics.spool_rows.value() == 0; }, kWaitMs))
      << metrics.spool_rows.value() << " rows left in the spool";
  EXPECT_GE(fake_cloud.batches(), kEvents / options.uplink.max_items);
  EXPECT_EQ(*fake_cloud.event_seqs().begin(), 1u);
  EXPECT_EQ(*fake_cloud.event_seqs().rbegin(), kEvents);

  // A command from the cloud reaches the device through the edge.
  v1::CommandBatch batch;
  auto* cmd = batch.add_commands();
  cmd->set_command_id("cmd-1");
  cmd->set_device_id("d1");
  cmd->set_name("set_brightness");
  (*cmd->mutable_args())["pct"] = "40";
  ASSERT_TRUE(fake_cloud.send_commands("e1", batch).ok());
  ASSERT_TRUE(wait_until([&] { return !device.commands().empty(); }, kWaitMs));
  EXPECT_EQ(device.commands()[0].args().at("pct"), "40");

  host.shutdown();
  EXPECT_EQ(registry.counter_total("tw_edge_rejects_total"), 0u);
}

class EdgeBinaryTest : public EdgeIntegrationTest {
 protected:
  std::string binary() const {
    const char* bin = std::getenv("TW_BIN_DIR");
    return std::string(bin ? bin : "bin") + "/tidewire-edge";
  }
  // Starts the binary and waits until /healthz says both brokers are connected.
  Expected<process::ChildProcessPtr> spawn_edge() {
    if (::access(binary().c_str(), X_OK) != 0) {
      return make_error(ErrorCode::kNotFound, binary() + " not found (build it: cmake --build BUILD --target tidewire-edge)");
    }
    auto port = process::free_loopback_port();
    if (!port) return port.error();
    metrics_port = *port;
    auto child = process::ChildProcess::spawn(
        {binary(), "--edge-id", "e1", "--site", "s1", "--site-port", std::to_string(site_broker->port()),
         "--cloud-port", std::to_string(cloud_broker->port()), "--spool-path", dir.file("edge.db"),
         "--batch-max-delay-ms", "20", "--metrics-port", std::to_string(metrics_port), "--log-level", "info"},
        dir.file("edge.log"));
    if (!child) return child.error();
    bool up = wait_until(
        [&] {
          auto r = http::http_request("127.0.0.1", metrics_port, "GET", "/healthz", "", 1000);
          return r && r->status == 200 && r->body.find("\"site_connected\":true") != std::string::npos &&
                 r->body.find("\"uplink_connected\":true") != std::string::npos;
        },
        kWaitMs);
    if (!up) return make_error(ErrorCode::kTimeout, "edge not healthy; its log:\n" + edge_log());
    return child;
  }
  std::string edge_log() const {
    std::ifstream log(dir.file("edge.log"));
    return std::string((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  }
  int metrics_port = 0;
};

TEST_F(EdgeBinaryTest, KillNineLosesNothingThatWasAcked) {
  auto edge = spawn_edge();
  ASSERT_TRUE(edge.ok()) << edge.error().describe();
  Device device(d1);
  ASSERT_TRUE(device.connect(site_broker->port()).ok());
  // Killed while acks are still arriving: whatever the device saw acked must survive.
  // (90 stays under paho's default of 100 buffered publishes.)
  for (uint64_t s = 1; s <= 90; ++s) {
    auto st = device.publish_event(s, 1);
    ASSERT_TRUE(st.ok()) << "seq " << s << ": " << st.error().describe();
  }
  ASSERT_TRUE(wait_until([&] { return device.acked() >= 50; }, kWaitMs)) << edge_log();
  (*edge)->kill9();
  uint64_t acked = device.acked();
  ASSERT_GE(acked, 50u);

  // No cloud was listening before the crash: everything acked must be in the spool, and
  // reach the cloud after the restart.
  FakeCloud fake_cloud(/*ack=*/true);
  ASSERT_TRUE(fake_cloud.connect(cloud_broker->port()).ok());
  auto again = spawn_edge();
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_TRUE(wait_until(
      [&] {
        auto seqs = fake_cloud.event_seqs();
        for (uint64_t s = 1; s <= acked; ++s)
          if (!seqs.count(s)) return false;
        return true;
      },
      kWaitMs))
      << "acked up to " << acked << " but the cloud got " << fake_cloud.event_seqs().size() << " events";
  auto metrics = http::http_request("127.0.0.1", metrics_port, "GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("tw_edge_batches_acked_total"), std::string::npos);
  EXPECT_EQ((*again)->terminate(), 0);  // SIGTERM: orderly stop, exit 0
  EXPECT_NE(edge_log().find("shutting down"), std::string::npos);
}

// A cloud broker that refuses the edge's subscriptions to its acks and commands (mosquitto's
// dynamic-security plugin; an acl_file never refuses a SUBSCRIBE): the edge stays
// connected, and /healthz says it is not ready, naming the filters and the SUBACK code.
TEST_F(EdgeBinaryTest, ARefusedSubscriptionMakesHealthzAnError) {
  std::string plugin = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so";
  if (::access(plugin.c_str(), R_OK) != 0) FAIL() << plugin << " not installed: scripts/install-deps.sh installs mosquitto, which ships it";
  if (::access(binary().c_str(), X_OK) != 0) FAIL() << binary() << " not built";
  std::ofstream(dir.file("dynsec.json"))
      << R"({"defaultACLAccess":{"publishClientSend":true,"publishClientReceive":true,"subscribe":true,)"
      << R"("unsubscribe":true},"clients":[],"groups":[{"groupname":"anonymous","roles":[{"rolename":"r"}]}],)"
      << R"("roles":[{"rolename":"r","acls":[{"acltype":"subscribePattern","topic":"tw/v1/edge/e1/#",)"
      << R"("priority":0,"allow":false}]}],"anonymousGroup":"anonymous"})";
  process::LocalBroker::Options o;
  o.work_dir = dir.path();
  o.extra_config = "plugin " + plugin + "\nplugin_opt_config_file " + dir.file("dynsec.json") + "\n";
  auto refusing = process::LocalBroker::start(o);
  ASSERT_TRUE(refusing.ok()) << refusing.error().describe();
  auto port = process::free_loopback_port();
  ASSERT_TRUE(port.ok());
  auto edge = process::ChildProcess::spawn(
      {binary(), "--edge-id", "e1", "--site", "s1", "--site-port", std::to_string(site_broker->port()), "--cloud-port",
       std::to_string((*refusing)->port()), "--spool-path", dir.file("edge.db"), "--metrics-port",
       std::to_string(*port)},
      dir.file("edge.log"));
  ASSERT_TRUE(edge.ok());
  http::Response health;
  ASSERT_TRUE(wait_until(
      [&] {
        auto r = http::http_request("127.0.0.1", *port, "GET", "/healthz", "", 1000);
        if (r) health = *r;
        return r && r->status == 503;
      },
      kWaitMs))
      << health.body << "\n" << edge_log();
  EXPECT_NE(health.body.find("\"status\":\"subscription_refused\""), std::string::npos) << health.body;
  EXPECT_NE(health.body.find("\"cloud_subscriptions_refused\":\"tw/v1/edge/e1/ack (SUBACK 0x80 for QoS 1), "
                             "tw/v1/edge/e1/cmd (SUBACK 0x80 for QoS 1)\""),
            std::string::npos)
      << health.body;
  EXPECT_NE(health.body.find("\"uplink_connected\":true"), std::string::npos) << health.body;
  EXPECT_EQ(health.body.find("site_subscriptions_refused"), std::string::npos) << health.body;
  auto metrics = http::http_request("127.0.0.1", *port, "GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("tw_transport_subscribe_refused_total{broker=\"cloud\",backend=\"paho\","
                               "reason=\"refused\"} 2"),
            std::string::npos)
      << metrics->body;
  EXPECT_NE(edge_log().find("the broker refused the subscription tw/v1/edge/e1/cmd"), std::string::npos);
  EXPECT_EQ((*edge)->terminate(), 0);
}

TEST_F(EdgeBinaryTest, BadFlagsFailClearlyAndHelpExitsZero) {
  auto help = process::ChildProcess::spawn({binary(), "--help"}, dir.file("help.log"));
  ASSERT_TRUE(help.ok());
  int status = -1;
  ASSERT_TRUE((*help)->wait_exit(kWaitMs, &status));
  EXPECT_EQ(status, 0);
  auto bad = process::ChildProcess::spawn({binary(), "--site", "s1"}, dir.file("bad.log"));
  ASSERT_TRUE(bad.ok());
  ASSERT_TRUE((*bad)->wait_exit(kWaitMs, &status));
  EXPECT_EQ(status, 2);
  std::ifstream log(dir.file("bad.log"));  // stderr of the failed start
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("--edge-id: required"), std::string::npos) << text;
}

}  // namespace
}  // namespace tidewire::edge

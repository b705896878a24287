// The agent against a real mosquitto (LocalBroker): first a DeviceSession on a real
// MosquittoClient in this process, then the agent binary itself (tidewire-agent-sim, the
// same agent process with simulated devices). A test "edge" client plays the site relay:
// it watches the device's topics, acks and sends commands.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>

#include "process/process.hpp"
#include "sim/sim_hal.hpp"
#include "sqlite/sqlite_outbox.hpp"
#include "tidewire/firmware/device_session.hpp"
#include "tidewire/protocols/codec.hpp"
#include "tidewire/transport/mosquitto_client.hpp"
#include "tidewire/transport/mosquitto_loop.hpp"

namespace tidewire::firmware {
namespace {

namespace fs = std::filesystem;
using process::wait_until;
using transport::Message;
using transport::MosquittoClient;
using transport::MosquittoLoop;

constexpr int64_t kWaitMs = 20'000;  // generous: these also run under qemu

// Runs fn on the loop thread and returns its result.
template <typename F>
auto on_loop(MosquittoLoop& loop, F fn) -> decltype(fn()) {
  std::packaged_task<decltype(fn())()> task(std::move(fn));
  auto result = task.get_future();
  EXPECT_TRUE(loop.post([&task] { task(); }).ok());
  return result.get();
}

// The site relay's side of the conversation, recorded for the test thread.
class EdgePeer {
 public:
  EdgePeer(MosquittoLoop& loop, Random& random, int port) : client_(loop, random) {
    client_.set_message_handler([this](const Message& m) {
      std::lock_guard lock(mu_);
      received_.push_back(m);
    });
    transport::ConnectOptions o;
    o.port = port;
    o.client_id = "edge-peer";
    EXPECT_TRUE(client_.connect(o).ok());
    EXPECT_TRUE(wait_until([&] { return client_.is_connected(); }, kWaitMs));
    EXPECT_TRUE(client_.subscribe("tw/v1/site/s1/#", 1).ok());
    EXPECT_TRUE(client_.subscribe("probe/edge", 1).ok());
    // A message of our own coming back proves the subscriptions are in place.
    EXPECT_TRUE(wait_until(
        [&] {
          (void)client_.publish({"probe/edge", "x", 0, false});
          return !on("probe/edge").empty();
        },
        kWaitMs));
  }

  std::vector<v1::Envelope> on(const std::string& topic) const {
    std::lock_guard lock(mu_);
    std::vector<v1::Envelope> out;
    for (const auto& m : received_) {
      if (m.topic != topic) continue;
      v1::Envelope e;
      e.ParseFromString(m.payload);
      out.push_back(e);
    }
    return out;
  }
  // Every device message must pass the edge's own checks.
  size_t invalid() const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& m : received_) {
      auto t = topics::parse_device_topic(m.topic);
      if (!t || !topics::is_uplink(t->channel)) continue;
      n += codec::decode_device_message(*t, m.payload).ok() ? 0 : 1;
    }
    return n;
  }
  void ack(const std::string& base, const std::string& device, uint64_t up_to) {
    v1::DeviceAck a;
    a.set_device_id(device);
    a.set_up_to_seq(up_to);
    EXPECT_TRUE(client_.publish({base + "ack", codec::encode(a), 0, false}).ok());
  }
  void command(const std::string& base, const std::string& device, const std::string& id, const std::string& name,
               std::map<std::string, std::string> args = {}) {
    v1::Command c;
    c.set_command_id(id);
    c.set_device_id(device);
    c.set_name(name);
    for (const auto& [k, v] : args) (*c.mutable_args())[k] = v;
    EXPECT_TRUE(client_.publish({base + "cmd", codec::encode(c), 1, false}).ok());
  }

 private:
  MosquittoClient client_;
  mutable std::mutex mu_;
  std::vector<Message> received_;
};

class AgentIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("tw-agent-it-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    process::LocalBroker::Options o;
    o.work_dir = (dir / "broker").string();
    fs::create_directories(o.work_dir);
    auto b = process::LocalBroker::start(o);
    ASSERT_TRUE(b.ok()) << b.error().describe();
    broker = std::move(*b);
    ASSERT_TRUE(loop.start_thread().ok());
    edge = std::make_unique<EdgePeer>(loop, random, broker->port());
  }
  void TearDown() override {
    edge.reset();
    loop.stop();
    broker.reset();
    fs::remove_all(dir);
  }

  static uint64_t max_seq(const std::vector<v1::Envelope>& es) {
    uint64_t m = 0;
    for (const auto& e : es) m = std::max<uint64_t>(m, e.seq());
    return m;
  }

  fs::path dir;
  process::LocalBrokerPtr broker;
  SeededRandom random{3};
  MosquittoLoop loop;
  std::unique_ptr<EdgePeer> edge;
};

TEST_F(AgentIntegration, SessionOnARealBrokerDeliversAcksAnswersAndLeavesAWill) {
  const std::string base = "tw/v1/site/s1/poster/p1/";
  SystemClock clock;
  MetricsRegistry metrics;
  SeededRandom device_random(11);
  auto outbox = SqliteOutbox::open((dir / "outbox.db").string(), {}, clock, metrics);
  ASSERT_TRUE(outbox.ok()) << outbox.error().describe();
  SimHalOptions sim;
  sim.event_interval_ms = 100;
  auto hal = make_sim_hal(v1::DEVICE_KIND_POSTER, sim, clock, device_random);
  auto client = std::make_unique<MosquittoClient>(loop, device_random);

  SessionOptions o;
  o.address = {"s1", v1::DEVICE_KIND_POSTER, "p1"};
  o.boot_id = "boot-it";
  o.connect.port = broker->port();
  o.status_interval_ms = 300;
  o.poll_interval_ms = 50;
  o.resend_timeout_ms = 60'000;
  std::unique_ptr<DeviceSession> session;
  MosquittoLoop::TimerId ticker = 0;
  on_loop(loop, [&] {
    auto s = DeviceSession::create(o, {*client, **outbox, *hal, clock, device_random, metrics});
    ASSERT_TRUE(s.ok()) << s.error().describe();
    session = std::move(*s);
    ASSERT_TRUE(session->start().ok());
    ticker = loop.every(20, [&] { session->tick(); });
  });

  ASSERT_TRUE(wait_until([&] { return !edge->on(base + "presence").empty(); }, kWaitMs));
  auto online = edge->on(base + "presence")[0];
  EXPECT_TRUE(online.presence().online());
  uint64_t session_seq = online.presence().session_seq();
  EXPECT_EQ(session_seq, 1u);
  ASSERT_TRUE(wait_until([&] { return edge->on(base + "status").size() >= 2; }, kWaitMs));
  ASSERT_TRUE(wait_until([&] { return edge->on(base + "event").size() >= 5; }, kWaitMs));
  auto events = edge->on(base + "event");
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(events[i].seq(), i + 1);  // in order, nothing re-sent
    EXPECT_EQ(events[i].event().type(), "display.changed");
  }

  // The edge acks: the device deletes exactly what was acked.
  uint64_t acked = max_seq(events);
  edge->ack(base, "p1", acked);
  ASSERT_TRUE(wait_until([&] { return on_loop(loop, [&] { return (*outbox)->floor_seq(); }) > acked; }, kWaitMs));

  edge->command(base, "p1", "cmd-1", "set_brightness", {{"pct", "30"}});
  ASSERT_TRUE(wait_until([&] { return !edge->on(base + "result").empty(); }, kWaitMs));
  auto result = edge->on(base + "result")[0];
  EXPECT_EQ(result.result().command_id(), "cmd-1");
  EXPECT_EQ(result.result().outcome(), v1::COMMAND_OUTCOME_OK);
  EXPECT_GT(result.seq(), acked);
  EXPECT_EQ(edge->invalid(), 0u);

  // A crash (no DISCONNECT): the broker publishes the will, same session_seq, offline.
  client->abort_for_test();
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& p : edge->on(base + "presence"))
          if (!p.presence().online() && p.presence().session_seq() == session_seq) return true;
        return false;
      },
      kWaitMs));

  on_loop(loop, [&] {
    loop.cancel(ticker);
    session.reset();
  });
  client.reset();
}

std::vector<std::string> agent_command(const std::string& binary = "tidewire-agent-sim") {
  const char* bin = std::getenv("TW_BIN_DIR");
  std::vector<std::string> argv;
  // Cross builds run this test under qemu-user; the agent is a target binary too.
  std::stringstream emulator(TW_AGENT_EMULATOR);
  for (std::string part; std::getline(emulator, part, '|');)
    if (!part.empty()) argv.push_back(part);
  argv.push_back(std::string(bin ? bin : "bin") + "/" + binary);
  return argv;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(AgentIntegration, TheBoardAgentRefusesSimulatedDevices) {
  auto argv = agent_command("tidewire-agent");
  ASSERT_TRUE(fs::exists(argv.back())) << argv.back() << " missing (is TW_BIN_DIR set to the build's bin/?)";
  for (std::string flag : {"--role=encoder", "--device-id=e1", "--site=s1", "--hal=sim"}) argv.push_back(flag);
  argv.push_back("--state-dir=" + (dir / "state").string());
  std::string log = (dir / "agent.log").string();
  auto agent = process::ChildProcess::spawn(argv, log);
  ASSERT_TRUE(agent.ok()) << agent.error().describe();
  int status = -1;
  ASSERT_TRUE((*agent)->wait_exit(kWaitMs, &status)) << "see " << log;
  EXPECT_EQ(status, 2);
  EXPECT_NE(read_file(log).find("--hal=sim: must be board"), std::string::npos) << read_file(log);
}

TEST_F(AgentIntegration, AgentBinaryPublishesStopsCleanlyAndKeepsNumberingAcrossRestarts) {
  const std::string base = "tw/v1/site/s1/encoder/e1/";
  auto argv = agent_command();
  ASSERT_TRUE(fs::exists(argv.back())) << argv.back() << " missing (is TW_BIN_DIR set to the build's bin/?)";
  for (std::string flag : {"--role=encoder", "--device-id=e1", "--site=s1", "--hal=sim", "--event-interval-ms=150",
                           "--status-interval-ms=300", "--tick-ms=20", "--log-level=debug"})
    argv.push_back(flag);
  argv.push_back("--broker-port=" + std::to_string(broker->port()));
  argv.push_back("--state-dir=" + (dir / "state").string());
  std::string log = (dir / "agent.log").string();

  auto agent = process::ChildProcess::spawn(argv, log);
  ASSERT_TRUE(agent.ok()) << agent.error().describe();
  ASSERT_TRUE(wait_until([&] { return !edge->on(base + "presence").empty(); }, kWaitMs)) << "see " << log;
  EXPECT_EQ(edge->on(base + "presence")[0].presence().session_seq(), 1u);
  ASSERT_TRUE(wait_until([&] { return edge->on(base + "event").size() >= 3; }, kWaitMs)) << "see " << log;
  ASSERT_TRUE(wait_until([&] { return !edge->on(base + "status").empty(); }, kWaitMs));
  EXPECT_TRUE(edge->on(base + "status")[0].status().has_encoder());

  edge->command(base, "e1", "cmd-stop", "stop_stream");
  ASSERT_TRUE(wait_until([&] { return !edge->on(base + "result").empty(); }, kWaitMs)) << "see " << log;
  EXPECT_EQ(edge->on(base + "result")[0].result().outcome(), v1::COMMAND_OUTCOME_OK);

  // SIGTERM: explicit offline presence for the same session, exit 0.
  EXPECT_EQ((*agent)->terminate(kWaitMs), 0) << "see " << log;
  // PUBACKed before the agent exited; the broker's copy to us may still be on its way.
  ASSERT_TRUE(wait_until([&] { return edge->on(base + "presence").size() >= 2; }, kWaitMs));
  auto presence = edge->on(base + "presence");
  ASSERT_EQ(presence.size(), 2u);
  EXPECT_FALSE(presence[1].presence().online());
  EXPECT_EQ(presence[1].presence().session_seq(), 1u);
  uint64_t before = max_seq(edge->on(base + "event"));
  before = std::max(before, max_seq(edge->on(base + "result")));
  size_t events_before = edge->on(base + "event").size();

  // Restart on the same state dir: a new session, and seqs continue where they were.
  auto again = process::ChildProcess::spawn(argv, log);
  ASSERT_TRUE(again.ok()) << again.error().describe();
  ASSERT_TRUE(wait_until([&] { return edge->on(base + "presence").size() >= 3; }, kWaitMs)) << "see " << log;
  EXPECT_EQ(edge->on(base + "presence")[2].presence().session_seq(), 2u);
  ASSERT_TRUE(wait_until(
      [&] {
        auto all = edge->on(base + "event");
        for (size_t i = events_before; i < all.size(); ++i)
          if (all[i].seq() > before) return true;
        return false;
      },
      kWaitMs))
      << "see " << log;
  // Nothing was acked, so the restarted agent re-sent the old rows too, under their old seqs.
  auto all = edge->on(base + "event");
  EXPECT_EQ(all[events_before].seq(), 1u);
  EXPECT_EQ((*again)->terminate(kWaitMs), 0) << "see " << log;
  EXPECT_EQ(edge->invalid(), 0u);
}

}  // namespace
}  // namespace tidewire::firmware

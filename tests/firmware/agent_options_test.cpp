// tidewire-agent's options: defaults, config files, and errors that say what to fix; the
// simulated devices' options only in tidewire-agent-sim.
#include "agent_options.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "sim_options.hpp"
#include "tidewire/transport/transport.hpp"

namespace tidewire::firmware {
namespace {

const AgentBuild kBoard;
const AgentBuild kWithSim{"tidewire-agent-sim", {sim_extra_hal()}};

// Parses into `config`, made for `build`.
Expected<AgentOptions> parse_into(Config& config, const AgentBuild& build, std::vector<std::string> args,
                                  const std::string& file_text = "") {
  if (!file_text.empty()) {
    if (auto st = config.apply_file_text(file_text, "agent.conf"); !st) return st.error();
  }
  std::vector<const char*> argv{build.program.c_str()};
  for (const auto& a : args) argv.push_back(a.c_str());
  auto parsed = config.parse(static_cast<int>(argv.size()), argv.data());
  if (!parsed) return parsed.error();
  return agent_options_from(config, build);
}

Expected<AgentOptions> parse(std::vector<std::string> args, const std::string& file_text = "",
                             const AgentBuild& build = kBoard) {
  Config config = make_agent_config(build);
  return parse_into(config, build, std::move(args), file_text);
}

const std::vector<std::string> kMinimal = {"--role", "rider", "--device-id", "r-01", "--site", "sh-1"};

std::vector<std::string> with(std::vector<std::string> extra) {
  auto out = kMinimal;
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

TEST(AgentOptions, MinimalFlagsGiveDocumentedDefaults) {
  auto o = parse(kMinimal);
  ASSERT_TRUE(o.ok()) << o.error().describe();
  EXPECT_EQ(o->session.address.kind, v1::DEVICE_KIND_RIDER);
  EXPECT_EQ(o->session.address.device_id, "r-01");
  EXPECT_EQ(o->session.address.site, "sh-1");
  EXPECT_EQ(o->session.connect.host, "127.0.0.1");
  EXPECT_EQ(o->session.connect.port, transport::kDefaultMqttPort);
  EXPECT_EQ(o->session.connect.max_inflight, 100);
  EXPECT_EQ(o->session.status_interval_ms, 5000);
  EXPECT_EQ(o->hal, "board");
  EXPECT_FALSE(o->extra_hal);
  EXPECT_EQ(o->state_dir, "/var/lib/tidewire");
  EXPECT_EQ(o->board.storage_path, "/var/lib/tidewire");
  EXPECT_EQ(o->outbox.max_bytes, 16u * 1024 * 1024);
  EXPECT_EQ(o->outbox.max_age_ms, 7LL * 24 * 3600 * 1000);
  EXPECT_TRUE(o->session.boot_id.empty());
}

TEST(AgentOptions, ConfigFileThenFlagsWin) {
  auto o = parse(with({"--broker-port=1999", "--hal", "sim"}),
                 "broker-host = 10.0.0.2\nbroker-port = 1884\noutbox-max-age-s = 60\nstate-dir = /data/tw\n", kWithSim);
  ASSERT_TRUE(o.ok()) << o.error().describe();
  EXPECT_EQ(o->session.connect.host, "10.0.0.2");
  EXPECT_EQ(o->session.connect.port, 1999);
  EXPECT_EQ(o->outbox.max_age_ms, 60'000);
  EXPECT_EQ(o->state_dir, "/data/tw");
  EXPECT_EQ(o->hal, "sim");
  ASSERT_TRUE(o->extra_hal);
  ManualClock clock;
  SeededRandom random(1);
  auto hal = o->extra_hal(v1::DEVICE_KIND_ENCODER, clock, random);
  ASSERT_NE(hal, nullptr);
  EXPECT_EQ(hal->kind(), v1::DEVICE_KIND_ENCODER);
}

// The board's agent knows nothing of the simulated devices: not as a HAL, not as options.
TEST(AgentOptions, TheBoardBuildHasNoSimulatedDevices) {
  auto o = parse(with({"--hal", "sim"}));
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.error().message.find("--hal=sim: must be board"), std::string::npos) << o.error().message;
  o = parse(with({"--sim-accept-probability", "0.5"}));
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.error().message.find("unknown option"), std::string::npos) << o.error().message;
  std::string usage = make_agent_config().usage();
  EXPECT_EQ(usage.find("sim"), std::string::npos) << usage;
}

// The example config (installed on boards as /etc/tidewire/agent.conf) is accepted by the
// board's agent as it stands.
TEST(AgentOptions, TheExampleConfigParses) {
  std::ifstream in(TW_AGENT_CONF_EXAMPLE);
  ASSERT_TRUE(in) << TW_AGENT_CONF_EXAMPLE;
  std::stringstream text;
  text << in.rdbuf();
  auto o = parse({}, text.str());
  ASSERT_TRUE(o.ok()) << o.error().describe();
  EXPECT_EQ(o->session.address.kind, v1::DEVICE_KIND_RIDER);
  EXPECT_EQ(o->hal, "board");
}

TEST(AgentOptions, ErrorsNameTheOptionAndTheFix) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--device-id", "r1", "--site", "s"}, "--role is required"},
      {{"--role", "bus", "--device-id", "r1", "--site", "s"}, "poster, rider or encoder"},
      {{"--role", "rider", "--site", "s"}, "--device-id is required"},
      {{"--role", "rider", "--device-id", "r/1", "--site", "s"}, "--device-id=r/1"},
      {{"--role", "rider", "--device-id", "r1"}, "--site is required"},
      // A '.' would break delivery on NATS and RabbitMQ: refused, naming the rule.
      {{"--role", "rider", "--device-id", "r.1", "--site", "s"},
       "--device-id=r.1: use 1-64 characters of [A-Za-z0-9_-] (no '.'"},
      {{"--role", "rider", "--device-id", "r1", "--site", "s.1"},
       "--site=s.1: use 1-64 characters of [A-Za-z0-9_-] (no '.'"},
      {with({"--broker-port", "70000"}), "--broker-port=70000"},
      {with({"--broker-port", "abc"}), "expected an integer"},
      {with({"--hal", "fpga"}), "--hal=fpga"},
      {with({"--log-level", "loud"}), "--log-level=loud"},
      {with({"--max-inflight", "0"}), "--max-inflight=0"},
      {with({"--outbox-max-bytes", "1000"}), "--outbox-max-bytes=1000"},
      {with({"--reconnect-min-ms", "5000", "--reconnect-max-ms", "1000"}), "--reconnect-max-ms"},
      {with({"--state-dir="}), "--state-dir"},
      {with({"--no-such-flag", "1"}), "unknown option"},
      {with({"stray"}), "unexpected argument 'stray'"},
      {with({"--tls-ca", "/nonexistent/ca.crt"}), "--tls-ca: cannot read /nonexistent/ca.crt"},
      {with({"--tls-cert", "/etc/hostname", "--tls-key", "/etc/hostname"}), "--tls-cert needs --tls-ca"},
      {with({"--tls-ca", "/etc/hostname", "--tls-cert", "/etc/hostname"}), "--tls-cert and --tls-key go together"},
  };
  for (const auto& c : cases) {
    auto o = parse(c.args);
    ASSERT_FALSE(o.ok()) << "accepted: " << c.says;
    EXPECT_NE(o.error().message.find(c.says), std::string::npos) << o.error().message;
  }
}

TEST(AgentOptions, DispatchOptions) {
  Config config = make_agent_config(kWithSim);
  auto o = parse_into(config, kWithSim, kMinimal);
  ASSERT_TRUE(o.ok()) << o.error().describe();
  EXPECT_TRUE(o->board.offer_socket_path.empty());
  auto sim = sim_hal_options_from(config);
  ASSERT_TRUE(sim.ok()) << sim.error().describe();
  EXPECT_DOUBLE_EQ(sim->rider_accept_probability, 0.9);
  EXPECT_DOUBLE_EQ(sim->pickup_service_s, 240);
  config = make_agent_config(kWithSim);
  o = parse_into(config, kWithSim,
                 with({"--offer-socket", "/run/tw/offers.sock", "--sim-accept-probability", "0.25",
                       "--sim-pickup-service-s", "60", "--sim-dropoff-service-s", "30"}));
  ASSERT_TRUE(o.ok()) << o.error().describe();
  EXPECT_EQ(o->board.offer_socket_path, "/run/tw/offers.sock");
  sim = sim_hal_options_from(config);
  ASSERT_TRUE(sim.ok()) << sim.error().describe();
  EXPECT_DOUBLE_EQ(sim->rider_accept_probability, 0.25);
  EXPECT_DOUBLE_EQ(sim->pickup_service_s, 60);
  EXPECT_DOUBLE_EQ(sim->dropoff_service_s, 30);
  // Checked even while --hal is board.
  auto bad = parse(with({"--sim-accept-probability", "1.5"}), "", kWithSim);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("--sim-accept-probability"), std::string::npos);
  bad = parse(with({"--offer-socket", std::string(120, 'x')}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("--offer-socket"), std::string::npos);
}

TEST(AgentOptions, HelpListsEveryOptionWithItsDefault) {
  std::string usage = make_agent_config(kWithSim).usage();
  for (const char* name : {"--role", "--device-id", "--site", "--broker-host", "--state-dir", "--hal",
                           "--status-interval-ms", "--event-interval-ms", "--outbox-max-bytes", "--outbox-max-age-s",
                           "--max-inflight", "--log-level", "--gps-path", "--ffmpeg-progress-path"})
    EXPECT_NE(usage.find(name), std::string::npos) << name;
  EXPECT_NE(usage.find("default: 5000"), std::string::npos);
}

}  // namespace
}  // namespace tidewire::firmware

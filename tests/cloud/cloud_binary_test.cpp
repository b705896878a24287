// tidewire-cloud as a process: a real mosquitto, the binary, and a paho client playing
// the edge (batches up, acks and commands down), then SIGTERM.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "http/client.hpp"
#include "process/process.hpp"
#include "process/throwaway_ca.hpp"
#include "tests/cloud/cloud_test_support.hpp"
#include "tidewire/protocols/batch_frame.hpp"
#include "tidewire/protocols/codec.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/transport/paho_client.hpp"
#include "tidewire/v1/fleet.pb.h"

namespace tidewire::cloud {
namespace {

using namespace testing;
namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class CloudBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* bin = std::getenv("TW_BIN_DIR");
    ASSERT_NE(bin, nullptr) << "TW_BIN_DIR is set by ctest; run through ctest";
    binary_ = std::string(bin) + "/tidewire-cloud";
    ASSERT_TRUE(fs::exists(binary_)) << binary_;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("tw-cloud-bin-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }

  void TearDown() override {
    edge_.reset();
    cloud_.reset();
    broker_.reset();
    if (!HasFailure())
      fs::remove_all(dir_);
    else
      std::cerr << "logs kept in " << dir_ << "\n";
  }

  void start_stack() {
    process::LocalBroker::Options bo;
    bo.work_dir = dir_.string();
    auto broker = process::LocalBroker::start(bo);
    ASSERT_TRUE(broker.ok()) << broker.error().describe();
    broker_ = std::move(*broker);
    auto port = process::free_loopback_port();
    ASSERT_TRUE(port.ok());
    http_port_ = *port;
    // An operator token, made as an operator makes the first one: the command line.
    const std::string token_file = (dir_ / "ops.token").string();
    auto made = process::ChildProcess::spawn({binary_, "token", "create", "--db-path", (dir_ / "cloud.db").string(),
                                              "--principal", "ops", "--scopes", "operator", "--out", token_file},
                                             (dir_ / "token.log").string());
    ASSERT_TRUE(made.ok());
    int status = -1;
    ASSERT_TRUE((*made)->wait_exit(20'000, &status));
    ASSERT_EQ(status, 0) << read_file(dir_ / "token.log");
    std::ifstream tf(token_file);
    std::getline(tf, token_);
    ASSERT_EQ(token_.substr(0, 3), "tw_");
    // The cloud takes an edge's batches only for the site it was provisioned for.
    auto provisioned = process::ChildProcess::spawn(
        {binary_, "provision", "edge", "edge-1", "--site", "site-a", "--db-path", (dir_ / "cloud.db").string(),
         "--password-file", (dir_ / "edge-1.login").string()},
        (dir_ / "provision.log").string());
    ASSERT_TRUE(provisioned.ok());
    ASSERT_TRUE((*provisioned)->wait_exit(20'000, &status));
    ASSERT_EQ(status, 0) << read_file(dir_ / "provision.log");
    auto child = process::ChildProcess::spawn(
        {binary_, "--http-port", std::to_string(http_port_), "--mqtt-port", std::to_string(broker_->port()),
         "--db-path", (dir_ / "cloud.db").string(), "--command-resend-s", "1"},
        (dir_ / "cloud.log").string());
    ASSERT_TRUE(child.ok()) << child.error().describe();
    cloud_ = std::move(*child);
    // Healthy = database open and broker connected (so its subscription is in place).
    ASSERT_TRUE(process::wait_until([&] { return get("/healthz").status == 200 || !cloud_->running(); }, 20'000));
    ASSERT_TRUE(cloud_->running()) << read_file(dir_ / "cloud.log");

    edge_ = std::make_unique<transport::PahoClient>();
    edge_->set_message_handler([this](const transport::Message& m) {
      std::lock_guard lock(mu_);
      received_.push_back(m);
      cv_.notify_all();
    });
    ASSERT_TRUE(edge_->subscribe(*topics::edge_topic("edge-1", topics::EdgeChannel::kAck), 1).ok());
    ASSERT_TRUE(edge_->subscribe(*topics::edge_topic("edge-1", topics::EdgeChannel::kCommand), 1).ok());
    transport::ConnectOptions co;
    co.port = broker_->port();
    co.client_id = "test-edge-1";
    ASSERT_TRUE(edge_->connect(co).ok());
    ASSERT_TRUE(process::wait_until([&] { return edge_->is_connected(); }, 10'000));
  }

  http::Response get(const std::string& target) {
    auto r = http::http_request("127.0.0.1", http_port_, "GET", target, "", 2000, auth());
    return r.ok() ? *r : http::Response{0, "", "", {}};
  }

  http::HeaderList auth() const { return {{"Authorization", "Bearer " + token_}}; }

  void send_batch(const v1::EdgeBatch& b) {
    ASSERT_TRUE(edge_
                    ->publish({*topics::edge_topic("edge-1", topics::EdgeChannel::kBatch),
                               codec::encode_batch_frame(b, 3), 1, false})
                    .ok());
  }

  // Waits for the next message on `channel` after the `skip` ones already seen there.
  transport::Message wait_for(topics::EdgeChannel channel, size_t skip = 0) {
    auto topic = *topics::edge_topic("edge-1", channel);
    std::unique_lock lock(mu_);
    transport::Message found;
    bool ok = cv_.wait_for(lock, std::chrono::seconds(10), [&] {
      size_t n = 0;
      for (const auto& m : received_) {
        if (m.topic != topic) continue;
        if (n++ == skip) {
          found = m;
          return true;
        }
      }
      return false;
    });
    EXPECT_TRUE(ok) << "nothing on " << topic;
    return found;
  }

  std::string binary_;
  fs::path dir_;
  process::LocalBrokerPtr broker_;
  process::ChildProcessPtr cloud_;
  std::unique_ptr<transport::PahoClient> edge_;
  int http_port_ = 0;
  std::string token_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<transport::Message> received_;
};

TEST_F(CloudBinaryTest, AcksBatchesAfterStoringSendsCommandsAndStopsCleanlyOnSigterm) {
  start_stack();
  Who who{"poster-1", "site-a", v1::DEVICE_KIND_POSTER};
  auto now = static_cast<int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  auto b = batch("edge-1", 3, {presence_item(who, 1, true, now), event_item(who, 1, now), event_item(who, 2, now)});
  send_batch(b);
  v1::BatchAck ack;
  ASSERT_TRUE(ack.ParseFromString(wait_for(topics::EdgeChannel::kAck).payload));
  EXPECT_EQ(ack.batch_id(), 3u);
  EXPECT_EQ(ack.spool_ids_size(), 3);
  EXPECT_EQ(ack.accepted(), 3u);

  send_batch(b);  // as if the first ack had been lost
  ASSERT_TRUE(ack.ParseFromString(wait_for(topics::EdgeChannel::kAck, 1).payload));
  EXPECT_EQ(ack.accepted(), 0u);
  EXPECT_EQ(ack.duplicates(), 3u);

  v1::Device device;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(get("/v1/devices/poster-1").body, &device).ok());
  EXPECT_EQ(device.events_stored(), 2u);
  EXPECT_TRUE(device.online());

  auto created = http::http_request("127.0.0.1", http_port_, "POST", "/v1/devices/poster-1/commands",
                                    R"({"name":"reboot","timeout_s":30})", 5000, auth());
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->status, 201) << created->body;
  v1::CommandView view;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(created->body, &view).ok());
  v1::CommandBatch commands;
  ASSERT_TRUE(commands.ParseFromString(wait_for(topics::EdgeChannel::kCommand).payload));
  ASSERT_EQ(commands.commands_size(), 1);
  EXPECT_EQ(commands.commands(0).command_id(), view.command_id());
  // No result yet: the cloud re-sends it (every second here).
  ASSERT_TRUE(commands.ParseFromString(wait_for(topics::EdgeChannel::kCommand, 1).payload));
  EXPECT_EQ(commands.commands(0).command_id(), view.command_id());

  send_batch(batch("edge-1", 4, {result_item(who, 3, view.command_id(), now)}));
  wait_for(topics::EdgeChannel::kAck, 2);
  std::string command_json = get("/v1/commands/" + view.command_id()).body;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(command_json, &view).ok()) << command_json;
  EXPECT_EQ(view.state(), v1::COMMAND_STATE_COMPLETED);

  auto metrics = get("/metrics").body;
  EXPECT_NE(metrics.find("tw_cloud_events_stored_total 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("tw_cloud_acks_total 3"), std::string::npos);

  EXPECT_EQ(cloud_->terminate(10'000), 0);
  std::string log = read_file(dir_ / "cloud.log");
  EXPECT_NE(log.find("operator: http://127.0.0.1:" + std::to_string(http_port_) + "/"), std::string::npos) << log;
  EXPECT_NE(log.find("stopped cleanly"), std::string::npos) << log;
}

TEST_F(CloudBinaryTest, HelpAndBadOptions) {
  auto help = process::ChildProcess::spawn({binary_, "--help"}, (dir_ / "help.log").string());
  ASSERT_TRUE(help.ok());
  int status = -1;
  ASSERT_TRUE((*help)->wait_exit(10'000, &status));
  EXPECT_EQ(status, 0);
  std::string text = read_file(dir_ / "help.log");
  for (const char* option : {"--http-port", "--mqtt-host", "--db-path", "--offline-after-s", "--command-timeout-s"}) {
    EXPECT_NE(text.find(option), std::string::npos) << option;
  }

  auto bad = process::ChildProcess::spawn({binary_, "--http-port", "99999"}, (dir_ / "bad.log").string());
  ASSERT_TRUE(bad.ok());
  ASSERT_TRUE((*bad)->wait_exit(10'000, &status));
  EXPECT_EQ(status, 2);
  EXPECT_NE(read_file(dir_ / "bad.log").find("--http-port=99999 is out of range"), std::string::npos);

  auto unknown = process::ChildProcess::spawn({binary_, "--htp-port", "1"}, (dir_ / "unknown.log").string());
  ASSERT_TRUE(unknown.ok());
  ASSERT_TRUE((*unknown)->wait_exit(10'000, &status));
  EXPECT_EQ(status, 2);
  EXPECT_NE(read_file(dir_ / "unknown.log").find("unknown option 'htp-port'"), std::string::npos);
}

TEST_F(CloudBinaryTest, TheTokenCommandMakesListsAndRevokesAndExplainsMistakes) {
  auto run = [&](std::vector<std::string> args, const std::string& log) {
    args.insert(args.begin(), binary_);
    auto child = process::ChildProcess::spawn(args, (dir_ / log).string());
    EXPECT_TRUE(child.ok());
    int status = -1;
    EXPECT_TRUE((*child)->wait_exit(20'000, &status));
    return std::pair{status, read_file(dir_ / log)};
  };
  const std::string db = (dir_ / "cloud.db").string();
  auto [made, made_out] = run({"token", "create", "--db-path", db, "--principal", "m-12", "--scopes", "merchant",
                               "--note", "till 3"},
                              "made.log");
  ASSERT_EQ(made, 0) << made_out;
  ASSERT_EQ(made_out.substr(0, 3), "tw_") << made_out;  // the token first, alone on its line
  const std::string id = made_out.substr(3, 12);
  auto [listed, list_out] = run({"token", "list", "--db-path", db}, "list.log");
  EXPECT_EQ(listed, 0);
  EXPECT_NE(list_out.find(id), std::string::npos) << list_out;
  EXPECT_NE(list_out.find("till 3"), std::string::npos) << list_out;
  EXPECT_EQ(list_out.find(made_out.substr(16, 43)), std::string::npos);  // never the secret
  EXPECT_EQ(run({"token", "revoke", "--db-path", db, id}, "revoke.log").first, 0);
  auto [bad_scope, bad_scope_out] =
      run({"token", "create", "--db-path", db, "--principal", "x", "--scopes", "root"}, "bad-scope.log");
  EXPECT_EQ(bad_scope, 2);
  EXPECT_NE(bad_scope_out.find("unknown scope 'root'"), std::string::npos) << bad_scope_out;
  auto [bad_verb, bad_verb_out] = run({"token", "mint", "--db-path", db}, "bad-verb.log");
  EXPECT_EQ(bad_verb, 2);
  EXPECT_NE(bad_verb_out.find("say create, list or revoke"), std::string::npos) << bad_verb_out;
  auto [unknown, unknown_out] = run({"token", "revoke", "--db-path", db, "nosuchtoken0"}, "unknown.log");
  EXPECT_EQ(unknown, 2);
  EXPECT_NE(unknown_out.find("no token 'nosuchtoken0'"), std::string::npos) << unknown_out;
  auto [help, help_out] = run({"token", "--help"}, "token-help.log");
  EXPECT_EQ(help, 0);
  EXPECT_NE(help_out.find("tidewire-cloud token create --principal NAME"), std::string::npos) << help_out;
}

// --http-tls-cert and --http-tls-key: the real binary serves its API over HTTPS, says so
// at start, and refuses a certificate without its key before starting anything.
TEST_F(CloudBinaryTest, ServesHttpsWithACertificateAndKey) {
  auto ca = process::ThrowawayCa::make((dir_ / "ca").string());
  ASSERT_TRUE(ca.ok()) << ca.error().describe();
  int status = -1;
  auto half = process::ChildProcess::spawn({binary_, "--http-tls-cert", ca->server.cert}, (dir_ / "half.log").string());
  ASSERT_TRUE(half.ok());
  ASSERT_TRUE((*half)->wait_exit(10'000, &status));
  EXPECT_EQ(status, 2);
  EXPECT_NE(read_file(dir_ / "half.log").find("--http-tls-cert needs --http-tls-key"), std::string::npos)
      << read_file(dir_ / "half.log");

  process::LocalBroker::Options bo;
  bo.work_dir = dir_.string();
  auto broker = process::LocalBroker::start(bo);
  ASSERT_TRUE(broker.ok()) << broker.error().describe();
  broker_ = std::move(*broker);
  auto port = process::free_loopback_port();
  ASSERT_TRUE(port.ok());
  auto child = process::ChildProcess::spawn(
      {binary_, "--http-port", std::to_string(*port), "--mqtt-port", std::to_string(broker_->port()), "--db-path",
       (dir_ / "cloud.db").string(), "--http-tls-cert", ca->server.cert, "--http-tls-key", ca->server.key},
      (dir_ / "cloud.log").string());
  ASSERT_TRUE(child.ok()) << child.error().describe();
  cloud_ = std::move(*child);
  http::Response health{0, "", "", {}};
  ASSERT_TRUE(process::wait_until(
      [&] {
        auto r = http::http_request(http::ClientTls{ca->ca.cert}, "127.0.0.1", *port, "GET", "/healthz", "", 2000);
        if (r.ok()) health = *r;
        return health.status == 200 || !cloud_->running();
      },
      20'000))
      << read_file(dir_ / "cloud.log");
  ASSERT_EQ(health.status, 200) << read_file(dir_ / "cloud.log");
  EXPECT_NE(health.body.find("\"status\":\"ok\""), std::string::npos) << health.body;
  EXPECT_FALSE(http::http_request("127.0.0.1", *port, "GET", "/healthz", "", 2000).ok());  // no plain HTTP
  EXPECT_EQ(cloud_->terminate(10'000), 0);
  std::string log = read_file(dir_ / "cloud.log");
  EXPECT_NE(log.find("operator: https://127.0.0.1:" + std::to_string(*port) + "/"), std::string::npos) << log;
}

TEST_F(CloudBinaryTest, UnwritableDatabaseFailsWithAHint) {
  auto child =
      process::ChildProcess::spawn({binary_, "--db-path", "/nonexistent-dir/x/cloud.db"}, (dir_ / "db.log").string());
  ASSERT_TRUE(child.ok());
  int status = -1;
  ASSERT_TRUE((*child)->wait_exit(10'000, &status));
  EXPECT_EQ(status, 1);
  EXPECT_NE(read_file(dir_ / "db.log").find("--db-path"), std::string::npos);
}

}  // namespace
}  // namespace tidewire::cloud

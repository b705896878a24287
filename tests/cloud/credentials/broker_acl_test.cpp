// The broker files against a real mosquitto configured as the project configures it for
// users (process::LocalBroker, locked): our hashes are accepted, anonymous clients and
// wrong passwords are refused, each principal reaches only its own topics, and a revoked
// device is refused at its next connect after reload() while the others stay connected.
//
// A forbidden message can only be shown never to arrive by something that arrives after
// it: each check publishes the forbidden message and then an allowed marker from the same
// connection (QoS1, so the broker handles them in order) to the same subscriber, again
// until the marker arrives; the forbidden one would have arrived first.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "process/process.hpp"
#include "sqlite/sqlite_credential_store.hpp"
#include "tidewire/credentials/broker_files.hpp"
#include "tidewire/credentials/provisioning.hpp"
#include "tidewire/transport/mosquitto_client.hpp"
#include "tidewire/transport/mosquitto_loop.hpp"

namespace tidewire::credentials {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kWaitMs = 20'000;

// One MQTT connection recording what arrives; its own metrics say whether the broker
// refused it.
class Client {
 public:
  Client(transport::MosquittoLoop& loop, int port, const Login& login, const std::vector<std::string>& filters = {})
      : client_(loop, random_, options()) {
    client_.set_message_handler([this](const transport::Message& m) {
      std::lock_guard lock(mu_);
      received_.push_back(m);
    });
    for (const auto& f : filters) EXPECT_TRUE(client_.subscribe(f, 1).ok());
    transport::ConnectOptions o;
    o.port = port;
    o.client_id = login.username.empty() ? "anonymous" : login.username;
    o.username = login.username;
    o.password = login.password;
    o.reconnect_min_ms = 50;
    o.reconnect_max_ms = 200;
    EXPECT_TRUE(client_.connect(o).ok());
  }
  ~Client() { client_.disconnect(); }

  bool connected() const { return client_.is_connected(); }
  uint64_t refusals() const {
    return metrics_.counter_value("tw_transport_connect_failures_total", {{"backend", "mosquitto"}});
  }
  bool wait_connected() {
    return process::wait_until([&] { return connected(); }, kWaitMs);
  }
  // Refused at least twice and never up: the broker says no, not a slow start.
  bool wait_refused() {
    return process::wait_until([&] { return refusals() >= 2; }, kWaitMs) && !connected();
  }
  void publish(const std::string& topic, const std::string& payload = "x") {
    (void)client_.publish({topic, payload, 1, false});
  }
  size_t count(const std::string& topic) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& m : received_) n += m.topic == topic ? 1 : 0;
    return n;
  }
  size_t count(const std::string& topic, const std::string& payload) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& m : received_) n += m.topic == topic && m.payload == payload ? 1 : 0;
    return n;
  }

 private:
  transport::MosquittoClientOptions options() {
    transport::MosquittoClientOptions o;
    o.metrics = &metrics_;
    o.log_edges = false;
    return o;
  }
  MetricsRegistry metrics_;
  SeededRandom random_{7};
  transport::MosquittoClient client_;
  mutable std::mutex mu_;
  std::vector<transport::Message> received_;
};

class BrokerAclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tw-acl-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "site");
    fs::create_directories(dir_ / "cloud");
    auto store = SqliteCredentialStore::open((dir_ / "cloud.db").string());
    ASSERT_TRUE(store.ok()) << store.error().describe();
    store_ = std::move(*store);
    provision_one(device("dev-a"));
    provision_one(device("dev-b"));
    provision_one(principal(PrincipalKind::kEdge, "edge-1", "site-1"));
    provision_one(principal(PrincipalKind::kEdge, "edge-2", "site-2"));
    provision_one(principal(PrincipalKind::kCloud, "cloud-1"));
    provision_one(principal(PrincipalKind::kRecipient, "rcp-1"));
    provision_one(principal(PrincipalKind::kRecipient, "rcp-2"));
    ASSERT_TRUE(write_files());
    for (auto [name, broker] : {std::pair{"site", &site_}, std::pair{"cloud", &cloud_}}) {
      process::LocalBroker::Options o;
      o.work_dir = (dir_ / name).string();
      o.password_file = (dir_ / name / "passwords").string();
      o.acl_file = (dir_ / name / "acl").string();
      auto b = process::LocalBroker::start(o);
      ASSERT_TRUE(b.ok()) << b.error().describe();
      *broker = std::move(*b);
    }
    ASSERT_TRUE(loop_.start_thread().ok());
  }
  void TearDown() override {
    loop_.stop();
    site_.reset();
    cloud_.reset();
    if (!HasFailure())
      fs::remove_all(dir_);
    else
      std::cerr << "broker logs kept in " << dir_ << "\n";
  }

  static Principal device(const std::string& id) {
    Principal p;
    p.kind = PrincipalKind::kDevice;
    p.id = id;
    p.site = "site-1";
    p.device_kind = v1::DEVICE_KIND_RIDER;
    return p;
  }
  static Principal principal(PrincipalKind kind, const std::string& id, const std::string& site = "") {
    Principal p;
    p.kind = kind;
    p.id = id;
    p.site = site;
    return p;
  }
  void provision_one(const Principal& p) {
    auto l = provision(*store_, {p}, false, 1);
    ASSERT_TRUE(l.ok()) << l.error().describe();
    logins_[p.id] = l->front();
  }
  bool write_files() {
    auto all = store_->list();
    if (!all) return false;
    auto site = render_site_broker(*all, "site-1");
    auto cloud = render_cloud_broker(*all);
    return site && cloud && write_broker_files((dir_ / "site").string(), *site) &&
           write_broker_files((dir_ / "cloud").string(), *cloud);
  }
  static std::string dev(const std::string& id, topics::Channel c) {
    return *topics::device_topic({"site-1", v1::DEVICE_KIND_RIDER, id}, c);
  }
  static std::string edge(const std::string& id, topics::EdgeChannel c) { return *topics::edge_topic(id, c); }
  static std::string push(const std::string& id, topics::PushChannel c) { return *topics::push_topic(id, c); }

  // Publishes `forbidden` then `marker` from `from`, again until `to` has the marker.
  bool marker_after(Client& from, Client& to, const std::string& forbidden, const std::string& marker,
                    const std::string& forbidden_payload = "x") {
    return process::wait_until(
        [&] {
          from.publish(forbidden, forbidden_payload);
          from.publish(marker);
          return to.count(marker) > 0;
        },
        kWaitMs);
  }

  fs::path dir_;
  std::unique_ptr<SqliteCredentialStore> store_;
  std::map<std::string, Login> logins_;
  process::LocalBrokerPtr site_, cloud_;
  transport::MosquittoLoop loop_;
};

TEST_F(BrokerAclTest, OurHashIsAcceptedAndAWrongPasswordOrNoneIsRefused) {
  Client good(loop_, site_->port(), logins_["dev-a"]);
  EXPECT_TRUE(good.wait_connected());
  Login wrong = logins_["dev-a"];
  wrong.password += "x";
  Client bad(loop_, site_->port(), wrong);
  EXPECT_TRUE(bad.wait_refused());
  Client anonymous(loop_, site_->port(), Login{});
  EXPECT_TRUE(anonymous.wait_refused());
  Client anonymous_cloud(loop_, cloud_->port(), Login{});
  EXPECT_TRUE(anonymous_cloud.wait_refused());
  // A device's credential is for its site broker only.
  Client device_on_cloud(loop_, cloud_->port(), logins_["dev-a"]);
  EXPECT_TRUE(device_on_cloud.wait_refused());
}

TEST_F(BrokerAclTest, ADeviceCannotPublishAsAnotherNorReadAnothersCommands) {
  const auto uplinks = topics::site_uplink_filters("site-1");
  Client edge1(loop_, site_->port(), logins_["edge-1"], uplinks);
  Client a(loop_, site_->port(), logins_["dev-a"],
           {dev("dev-b", topics::Channel::kCommand), dev("dev-b", topics::Channel::kAck),
            dev("dev-a", topics::Channel::kCommand)});
  ASSERT_TRUE(edge1.wait_connected());
  ASSERT_TRUE(a.wait_connected());
  // A forged event and presence as B never reach the edge; A's own do.
  EXPECT_TRUE(marker_after(a, edge1, dev("dev-b", topics::Channel::kEvent), dev("dev-a", topics::Channel::kEvent)));
  EXPECT_TRUE(
      marker_after(a, edge1, dev("dev-b", topics::Channel::kPresence), dev("dev-a", topics::Channel::kPresence)));
  EXPECT_EQ(edge1.count(dev("dev-b", topics::Channel::kEvent)), 0u);
  EXPECT_EQ(edge1.count(dev("dev-b", topics::Channel::kPresence)), 0u);
  // B's commands and acks never reach A (the subscription may be granted; delivery is not).
  EXPECT_TRUE(marker_after(edge1, a, dev("dev-b", topics::Channel::kCommand), dev("dev-a", topics::Channel::kCommand)));
  edge1.publish(dev("dev-b", topics::Channel::kAck));
  EXPECT_TRUE(marker_after(edge1, a, dev("dev-b", topics::Channel::kAck), dev("dev-a", topics::Channel::kCommand)));
  EXPECT_EQ(a.count(dev("dev-b", topics::Channel::kCommand)), 0u);
  EXPECT_EQ(a.count(dev("dev-b", topics::Channel::kAck)), 0u);
  // A device cannot write a command for itself either: downlinks are the edge's.
  Client a_self(loop_, site_->port(), logins_["dev-b"], {dev("dev-b", topics::Channel::kCommand)});
  ASSERT_TRUE(a_self.wait_connected());
  // (The edge's own commands to B above may still be arriving: count only A's forgeries.)
  EXPECT_TRUE(marker_after(a, edge1, dev("dev-b", topics::Channel::kCommand), dev("dev-a", topics::Channel::kStatus),
                           "forged-by-a"));
  EXPECT_EQ(a_self.count(dev("dev-b", topics::Channel::kCommand), "forged-by-a"), 0u);
  // Another site's edge has no account on this site's broker.
  Client edge2(loop_, site_->port(), logins_["edge-2"]);
  EXPECT_TRUE(edge2.wait_refused());
}

TEST_F(BrokerAclTest, AnEdgeCannotPublishAnotherEdgesBatchNorReadItsAcks) {
  Client cloud(loop_, cloud_->port(), logins_["cloud-1"], {topics::cloud_batch_filter()});
  Client e1(loop_, cloud_->port(), logins_["edge-1"],
            {edge("edge-2", topics::EdgeChannel::kAck), edge("edge-2", topics::EdgeChannel::kCommand),
             edge("edge-1", topics::EdgeChannel::kAck)});
  ASSERT_TRUE(cloud.wait_connected());
  ASSERT_TRUE(e1.wait_connected());
  EXPECT_TRUE(marker_after(e1, cloud, edge("edge-2", topics::EdgeChannel::kBatch),
                           edge("edge-1", topics::EdgeChannel::kBatch)));
  EXPECT_EQ(cloud.count(edge("edge-2", topics::EdgeChannel::kBatch)), 0u);
  EXPECT_TRUE(
      marker_after(cloud, e1, edge("edge-2", topics::EdgeChannel::kAck), edge("edge-1", topics::EdgeChannel::kAck)));
  cloud.publish(edge("edge-2", topics::EdgeChannel::kCommand));
  EXPECT_TRUE(marker_after(cloud, e1, edge("edge-2", topics::EdgeChannel::kCommand),
                           edge("edge-1", topics::EdgeChannel::kAck)));
  EXPECT_EQ(e1.count(edge("edge-2", topics::EdgeChannel::kAck)), 0u);
  EXPECT_EQ(e1.count(edge("edge-2", topics::EdgeChannel::kCommand)), 0u);
  // Nor forge the cloud's ack to itself (the attack that made an edge delete its spool).
  Client e1_acks(loop_, cloud_->port(), logins_["edge-1"], {edge("edge-1", topics::EdgeChannel::kAck)});
  ASSERT_TRUE(e1_acks.wait_connected());
  // (The cloud's own acks above may still be arriving: count only the edge's forgeries.)
  EXPECT_TRUE(marker_after(e1, cloud, edge("edge-1", topics::EdgeChannel::kAck),
                           edge("edge-1", topics::EdgeChannel::kBatch), "forged-by-edge"));
  EXPECT_EQ(e1_acks.count(edge("edge-1", topics::EdgeChannel::kAck), "forged-by-edge"), 0u);
}

TEST_F(BrokerAclTest, ARecipientReadsOnlyItsOwnInbox) {
  Client cloud(loop_, cloud_->port(), logins_["cloud-1"], topics::push_uplink_filters());
  Client r1(loop_, cloud_->port(), logins_["rcp-1"],
            {topics::push_inbox_filter(), push("rcp-1", topics::PushChannel::kInbox)});
  ASSERT_TRUE(cloud.wait_connected());
  ASSERT_TRUE(r1.wait_connected());
  EXPECT_TRUE(
      marker_after(cloud, r1, push("rcp-2", topics::PushChannel::kInbox), push("rcp-1", topics::PushChannel::kInbox)));
  EXPECT_EQ(r1.count(push("rcp-2", topics::PushChannel::kInbox)), 0u);
  // Nor answer for another: a receipt as rcp-2 never reaches the cloud.
  EXPECT_TRUE(marker_after(r1, cloud, push("rcp-2", topics::PushChannel::kReceipt),
                           push("rcp-1", topics::PushChannel::kReceipt)));
  EXPECT_EQ(cloud.count(push("rcp-2", topics::PushChannel::kReceipt)), 0u);
}

TEST_F(BrokerAclTest, ARevokedDeviceIsRefusedAtItsNextConnectAfterReloadWhileOthersStay) {
  Client edge1(loop_, site_->port(), logins_["edge-1"], topics::site_uplink_filters("site-1"));
  Client b(loop_, site_->port(), logins_["dev-b"]);
  ASSERT_TRUE(edge1.wait_connected());
  ASSERT_TRUE(b.wait_connected());
  {
    Client a(loop_, site_->port(), logins_["dev-a"]);
    ASSERT_TRUE(a.wait_connected());
  }
  ASSERT_TRUE(store_->revoke(PrincipalKind::kDevice, "dev-a", 2).ok());
  ASSERT_TRUE(write_files());
  ASSERT_TRUE(site_->reload().ok());
  // SIGHUP is handled when the broker gets to it: a connect that wins the race is let in,
  // so connect again until refused.
  bool refused = process::wait_until(
      [&] {
        Client a(loop_, site_->port(), logins_["dev-a"]);
        return process::wait_until([&] { return a.connected() || a.refusals() >= 1; }, kWaitMs) && !a.connected();
      },
      kWaitMs);
  EXPECT_TRUE(refused);
  EXPECT_TRUE(b.connected());
  EXPECT_TRUE(edge1.connected());
  EXPECT_TRUE(marker_after(b, edge1, dev("dev-b", topics::Channel::kStatus), dev("dev-b", topics::Channel::kEvent)));
}

}  // namespace
}  // namespace tidewire::credentials

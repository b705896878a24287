// PushApp against a real mosquitto, with the test playing the cloud through a second
// client: syncs, receipts, duplicates, broker restarts and bad input. The pending-receipt
// queue, which needs a connection that drops at a chosen moment, is unit-tested at the end
// over the FakeTransport.
#include "tidewire/push_app/push_app.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "process/process.hpp"
#include "tests/fakes/fake_transport.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/protocols/codec.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/push_app/inbox_gateway.hpp"
#include "tidewire/push_app/virtual_apps.hpp"
#include "tidewire/transport/mosquitto_client.hpp"
#include "tidewire/transport/mosquitto_loop.hpp"

namespace tidewire::push_app {
namespace {

using process::wait_until;
constexpr int64_t kWaitMs = 10'000;

std::string topic(const std::string& recipient, topics::PushChannel channel) {
  return *topics::push_topic(recipient, channel);
}

v1::PushDelivery delivery(const std::string& recipient, const std::string& id, uint64_t seq, bool from_sync = false) {
  v1::PushDelivery d;
  d.set_notification_id(id);
  d.set_recipient_id(recipient);
  d.set_inbox_seq(seq);
  d.set_title("Rider arriving");
  d.set_body("Your order " + id + " is on its way");
  (*d.mutable_data())["order"] = id;
  d.set_from_sync(from_sync);
  return d;
}

transport::ConnectOptions connect_to(int port, const std::string& client_id) {
  transport::ConnectOptions o;
  o.port = port;
  o.client_id = client_id;
  o.keepalive_s = 10;
  o.reconnect_min_ms = 50;
  o.reconnect_max_ms = 300;
  return o;
}

// Forwards to a real client and keeps every InboxSync the app handed over, so a test can
// read the cursor a reconnect carried even when the test cloud was not back in time.
class TappedTransport final : public transport::Transport {
 public:
  explicit TappedTransport(transport::TransportPtr inner) : inner_(std::move(inner)) {}
  // Interface: transport::Transport
  void set_message_handler(MessageHandler h) override { inner_->set_message_handler(std::move(h)); }
  void set_connection_handler(ConnectionHandler h) override { inner_->set_connection_handler(std::move(h)); }
  Status connect(const transport::ConnectOptions& o) override { return inner_->connect(o); }
  void disconnect() override { inner_->disconnect(); }
  bool is_connected() const override { return inner_->is_connected(); }
  Status subscribe(const std::string& filter, int qos) override { return inner_->subscribe(filter, qos); }
  Status publish(transport::Message m, PublishDone done) override {
    auto t = topics::parse_push_topic(m.topic);
    if (t && t->channel == topics::PushChannel::kSync) {
      std::lock_guard lock(mu_);
      syncs_.push_back(codec::decode<v1::InboxSync>(m.payload, 64)->after_seq());
    }
    return inner_->publish(std::move(m), std::move(done));
  }
  int inflight() const override { return inner_->inflight(); }

  std::vector<uint64_t> syncs() const {
    std::lock_guard lock(mu_);
    return syncs_;
  }

 private:
  transport::TransportPtr inner_;
  mutable std::mutex mu_;
  std::vector<uint64_t> syncs_;
};

// What the test's "cloud" saw on the receipt and sync topics, decoded.
class CloudSide {
 public:
  void on_message(const transport::Message& m) {
    auto t = topics::parse_push_topic(m.topic);
    std::lock_guard lock(mu_);
    if (!t) return;
    if (t->channel == topics::PushChannel::kReceipt) {
      if (t->recipient_id == "probe") {
        probed_ = true;
        return;
      }
      auto r = codec::decode<v1::PushReceipt>(m.payload, 4096);
      if (r) receipts_.push_back({t->recipient_id, *r});
    } else if (t->channel == topics::PushChannel::kSync) {
      auto s = codec::decode<v1::InboxSync>(m.payload, 4096);
      if (s) syncs_.push_back({t->recipient_id, s->after_seq()});
    }
  }
  std::vector<v1::PushReceipt> receipts(const std::string& id, v1::ReceiptKind kind) const {
    std::lock_guard lock(mu_);
    std::vector<v1::PushReceipt> out;
    for (const auto& [who, r] : receipts_)
      if (r.notification_id() == id && r.kind() == kind) out.push_back(r);
    return out;
  }
  size_t receipt_count() const {
    std::lock_guard lock(mu_);
    return receipts_.size();
  }
  std::vector<uint64_t> syncs_from(const std::string& recipient) const {
    std::lock_guard lock(mu_);
    std::vector<uint64_t> out;
    for (const auto& [who, after] : syncs_)
      if (who == recipient) out.push_back(after);
    return out;
  }
  bool probed() const {
    std::lock_guard lock(mu_);
    return probed_;
  }
  void forget_probe() {
    std::lock_guard lock(mu_);
    probed_ = false;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, v1::PushReceipt>> receipts_;
  std::vector<std::pair<std::string, uint64_t>> syncs_;
  bool probed_ = false;
};

class PushAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = (std::filesystem::temp_directory_path() / ("tw-push-app-" + std::to_string(::getpid())) / info->name())
               .string();
    std::filesystem::create_directories(dir_);
    process::LocalBroker::Options bo;
    bo.work_dir = dir_;
    auto broker = process::LocalBroker::start(bo);
    ASSERT_TRUE(broker.ok()) << broker.error().describe();
    broker_ = std::move(*broker);
    ASSERT_TRUE(loop_.start_thread());

    cloud_ = std::make_unique<transport::MosquittoClient>(loop_, random_);
    cloud_->set_message_handler([this](const transport::Message& m) { cloud_side_.on_message(m); });
    for (const auto& filter : topics::push_uplink_filters()) ASSERT_TRUE(cloud_->subscribe(filter, 1));
    ASSERT_TRUE(cloud_->connect(connect_to(broker_->port(), "test-cloud")));
    ASSERT_TRUE(cloud_subscribed()) << "the test cloud's subscriptions never became live";
  }

  void TearDown() override {
    apps_.clear();
    app_clients_.clear();
    cloud_.reset();
    loop_.stop();
  }

  // True once a probe receipt published by the cloud itself comes back to it, so its
  // subscriptions are live at the (possibly restarted) broker.
  bool cloud_subscribed() {
    cloud_side_.forget_probe();
    int polls = 0;
    return wait_until(
        [&] {
          if (cloud_side_.probed()) return true;
          if (polls++ % 20 == 0) (void)cloud_->publish({topic("probe", topics::PushChannel::kReceipt), "p", 0, false});
          return false;
        },
        kWaitMs);
  }

  PushApp& make_app(const std::string& recipient, uint64_t initial_cursor = 0) {
    app_clients_.push_back(
        std::make_unique<TappedTransport>(std::make_unique<transport::MosquittoClient>(loop_, random_)));
    PushAppOptions o;
    o.recipient_id = recipient;
    o.initial_cursor = initial_cursor;
    auto app = PushApp::create(o, {*app_clients_.back(), clock_, random_, metrics_});
    EXPECT_TRUE(app.ok()) << app.error().describe();
    apps_.push_back(std::move(*app));
    PushApp& a = *apps_.back();
    a.set_on_notification([this, &a](const v1::PushDelivery& d) {
      std::lock_guard lock(shown_mu_);
      shown_.push_back(a.recipient_id() + "/" + d.notification_id());
    });
    return a;
  }

  // Started, connected and synced: the broker acknowledged the sync, so it had already
  // taken the inbox subscription sent before it.
  PushApp& started_app(const std::string& recipient, uint64_t initial_cursor = 0) {
    PushApp& a = make_app(recipient, initial_cursor);
    EXPECT_TRUE(a.start(connect_to(broker_->port(), "app-" + recipient)));
    EXPECT_TRUE(wait_until([&] { return a.stats().syncs_sent == 1; }, kWaitMs)) << recipient << " never synced";
    return a;
  }

  void send(const v1::PushDelivery& d) {
    ASSERT_TRUE(cloud_->publish({topic(d.recipient_id(), topics::PushChannel::kInbox), codec::encode(d), 1, false}));
  }
  void send_raw(const std::string& recipient, const std::string& payload) {
    ASSERT_TRUE(cloud_->publish({topic(recipient, topics::PushChannel::kInbox), payload, 1, false}));
  }
  bool receipted(const std::string& id, size_t times = 1, v1::ReceiptKind kind = v1::RECEIPT_KIND_DELIVERED) {
    return wait_until([&] { return cloud_side_.receipts(id, kind).size() >= times; }, kWaitMs);
  }
  std::vector<std::string> shown() {
    std::lock_guard lock(shown_mu_);
    return shown_;
  }

  std::string dir_;
  process::LocalBrokerPtr broker_;
  ManualClock clock_;
  SeededRandom random_{11};
  MetricsRegistry metrics_;
  CloudSide cloud_side_;
  std::mutex shown_mu_;
  std::vector<std::string> shown_;
  transport::MosquittoLoop loop_;
  std::unique_ptr<transport::MosquittoClient> cloud_;
  // Apps before their clients, clients before the loop.
  std::vector<std::unique_ptr<TappedTransport>> app_clients_;
  std::vector<PushAppPtr> apps_;
};

TEST_F(PushAppTest, SyncsOnConnectFromCursorZeroOrTheStoredCursor) {
  started_app("rider-1");
  started_app("rider-2", 41);
  ASSERT_TRUE(wait_until([&] { return cloud_side_.syncs_from("rider-2").size() == 1; }, kWaitMs));
  EXPECT_EQ(cloud_side_.syncs_from("rider-1"), std::vector<uint64_t>{0});
  EXPECT_EQ(cloud_side_.syncs_from("rider-2"), std::vector<uint64_t>{41});
  EXPECT_EQ(metrics_.counter_total("tw_push_app_syncs_total"), 2u);
}

TEST_F(PushAppTest, ADeliveryIsShownOnceAndReceiptedDeliveredOnce) {
  PushApp& app = started_app("rider-1");
  send(delivery("rider-1", "n-1", 1));
  // Receipts leave the app in the order the deliveries came: once n-2's is here, every
  // receipt n-1 will ever get is here too.
  send(delivery("rider-1", "n-2", 2));
  ASSERT_TRUE(receipted("n-2"));
  auto receipts = cloud_side_.receipts("n-1", v1::RECEIPT_KIND_DELIVERED);
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].at_ms(), clock_.wall_ms());
  EXPECT_TRUE(cloud_side_.receipts("n-1", v1::RECEIPT_KIND_OPENED).empty());
  EXPECT_EQ(shown(), (std::vector<std::string>{"rider-1/n-1", "rider-1/n-2"}));
  auto inbox = app.inbox();
  ASSERT_EQ(inbox.size(), 2u);
  EXPECT_EQ(inbox[0].notification_id(), "n-1");
  EXPECT_EQ(inbox[0].data().at("order"), "n-1");
  EXPECT_EQ(app.cursor(), 2u);
  ASSERT_TRUE(wait_until([&] { return app.stats().receipts_sent == 2; }, kWaitMs));
  EXPECT_EQ(app.stats().received, 2u);
  EXPECT_EQ(app.stats().duplicates, 0u);
}

TEST_F(PushAppTest, ARepeatedNotificationIsReceiptedAgainButNotShownAgain) {
  PushApp& app = started_app("rider-1");
  send(delivery("rider-1", "n-1", 1));
  ASSERT_TRUE(receipted("n-1"));
  // The cloud lost the first receipt and re-sends (as a retry, then in a sync answer).
  send(delivery("rider-1", "n-1", 1));
  send(delivery("rider-1", "n-1", 1, /*from_sync=*/true));
  ASSERT_TRUE(receipted("n-1", 3));
  EXPECT_EQ(shown(), std::vector<std::string>{"rider-1/n-1"});
  EXPECT_EQ(app.inbox().size(), 1u);
  EXPECT_EQ(app.stats().duplicates, 2u);
  EXPECT_EQ(app.stats().received, 1u);
  EXPECT_EQ(metrics_.counter_total("tw_push_app_duplicates_total"), 2u);
}

TEST_F(PushAppTest, OpenSendsOpenedOnceAndARepeatAfterOpeningRepeatsBoth) {
  PushApp& app = started_app("rider-1");
  send(delivery("rider-1", "n-1", 1));
  ASSERT_TRUE(receipted("n-1"));
  auto unknown = app.open("never-sent");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  clock_.advance_ms(5000);
  ASSERT_TRUE(app.open("n-1"));
  ASSERT_TRUE(app.open("n-1"));  // a second tap sends nothing
  ASSERT_TRUE(receipted("n-1", 1, v1::RECEIPT_KIND_OPENED));
  EXPECT_EQ(cloud_side_.receipts("n-1", v1::RECEIPT_KIND_OPENED)[0].at_ms(), clock_.wall_ms());
  // Both receipts were lost: the re-sent copy is answered with both again.
  send(delivery("rider-1", "n-1", 1));
  ASSERT_TRUE(receipted("n-1", 2, v1::RECEIPT_KIND_OPENED));
  EXPECT_EQ(cloud_side_.receipts("n-1", v1::RECEIPT_KIND_DELIVERED).size(), 2u);
  EXPECT_EQ(cloud_side_.receipts("n-1", v1::RECEIPT_KIND_OPENED).size(), 2u);
  EXPECT_EQ(app.stats().opened, 1u);
  EXPECT_EQ(shown().size(), 1u);
}

TEST_F(PushAppTest, TheInboxIsOrderedBySeqAndTheCursorIsTheHighestSeen) {
  PushApp& app = started_app("merchant-1");
  // A HIGH notification queued later overtakes older NORMAL ones.
  send(delivery("merchant-1", "n-3", 3));
  send(delivery("merchant-1", "n-1", 1));
  send(delivery("merchant-1", "n-2", 2));
  ASSERT_TRUE(receipted("n-2"));
  auto inbox = app.inbox();
  ASSERT_EQ(inbox.size(), 3u);
  EXPECT_EQ(inbox[0].inbox_seq(), 1u);
  EXPECT_EQ(inbox[1].inbox_seq(), 2u);
  EXPECT_EQ(inbox[2].inbox_seq(), 3u);
  EXPECT_EQ(app.cursor(), 3u);
  EXPECT_EQ(shown().size(), 3u);
}

TEST_F(PushAppTest, AfterABrokerRestartTheAppReconnectsAndSyncsFromItsCursor) {
  PushApp& app = started_app("rider-1");
  for (uint64_t seq = 1; seq <= 3; ++seq) send(delivery("rider-1", "n-" + std::to_string(seq), seq));
  ASSERT_TRUE(receipted("n-3"));
  ASSERT_TRUE(broker_->restart());
  // Both clients come back on their own; the new broker acknowledges the app's second sync.
  ASSERT_TRUE(wait_until([&] { return app.stats().syncs_sent == 2 && app.online(); }, kWaitMs));
  EXPECT_EQ(app.stats().connects, 2u);
  EXPECT_EQ(app_clients_[0]->syncs(), (std::vector<uint64_t>{0, 3}));
  ASSERT_TRUE(cloud_subscribed());
  // The cloud answers the sync: what was queued while the app was away (seq 4, 5), and a
  // retry of n-3 whose receipt it never got.
  send(delivery("rider-1", "n-3", 3, true));
  send(delivery("rider-1", "n-4", 4, true));
  send(delivery("rider-1", "n-5", 5, true));
  ASSERT_TRUE(receipted("n-5"));
  EXPECT_EQ(shown(),
            (std::vector<std::string>{"rider-1/n-1", "rider-1/n-2", "rider-1/n-3", "rider-1/n-4", "rider-1/n-5"}));
  EXPECT_EQ(app.stats().received_from_sync, 2u);
  EXPECT_EQ(app.stats().duplicates, 1u);
  EXPECT_EQ(app.cursor(), 5u);
  // A further restart: the sync now carries 5.
  ASSERT_TRUE(broker_->restart());
  ASSERT_TRUE(wait_until([&] { return app.stats().syncs_sent == 3; }, kWaitMs));
  EXPECT_EQ(app_clients_[0]->syncs(), (std::vector<uint64_t>{0, 3, 5}));
  EXPECT_EQ(app.stats().connects, 3u);
}

TEST_F(PushAppTest, MalformedAndForeignDeliveriesAreCountedAndIgnored) {
  PushApp& app = started_app("rider-1");
  send_raw("rider-1", std::string("\xff\xff\xff\x0f not a protobuf", 19));
  send_raw("rider-1", codec::encode(delivery("rider-2", "n-foreign", 1)));  // someone else's, on rider-1's inbox
  send(delivery("rider-1", "", 1));                                         // no notification id
  send(delivery("rider-1", "n-noseq", 0));                                  // no inbox_seq
  send_raw("rider-1", std::string(kMaxDeliveryBytes + 1, 'x'));
  send(delivery("rider-1", "n-1", 1));
  ASSERT_TRUE(receipted("n-1"));
  EXPECT_EQ(cloud_side_.receipt_count(), 1u) << "a refused delivery was receipted";
  EXPECT_EQ(shown(), std::vector<std::string>{"rider-1/n-1"});
  EXPECT_EQ(app.stats().rejected, 5u);
  EXPECT_EQ(metrics_.counter_value("tw_push_app_rejected_total", {{"reason", "malformed"}}), 1u);
  EXPECT_EQ(metrics_.counter_value("tw_push_app_rejected_total", {{"reason", "wrong_recipient"}}), 1u);
  EXPECT_EQ(metrics_.counter_value("tw_push_app_rejected_total", {{"reason", "invalid_field"}}), 2u);
  EXPECT_EQ(metrics_.counter_value("tw_push_app_rejected_total", {{"reason", "oversize"}}), 1u);
  EXPECT_EQ(app.cursor(), 1u);
  EXPECT_TRUE(app.online());
}

TEST_F(PushAppTest, VirtualAppsShareOneLoopAndEachReceipts) {
  VirtualAppsOptions o;
  o.broker_port = broker_->port();
  o.recipient_ids = VirtualApps::numbered_ids("cust", 20);
  o.auto_open_probability = 1.0;
  o.reconnect_min_ms = 50;
  o.reconnect_max_ms = 300;
  VirtualApps apps(o, clock_, metrics_);
  std::atomic<int> shown{0};
  apps.set_on_notification([&](const PushApp&, const v1::PushDelivery&) { shown.fetch_add(1); });
  ASSERT_TRUE(apps.start());
  EXPECT_EQ(apps.app(0).recipient_id(), "cust-00001");
  ASSERT_TRUE(wait_until([&] { return apps.totals().stats.syncs_sent == 20; }, kWaitMs)) << apps.summary();
  for (const auto& id : o.recipient_ids) send(delivery(id, "n-" + id, 1));
  for (const auto& id : o.recipient_ids) ASSERT_TRUE(receipted("n-" + id, 1, v1::RECEIPT_KIND_OPENED)) << id;
  for (const auto& id : o.recipient_ids)
    EXPECT_EQ(cloud_side_.receipts("n-" + id, v1::RECEIPT_KIND_DELIVERED).size(), 1u);
  EXPECT_EQ(shown.load(), 20);
  ASSERT_TRUE(wait_until([&] { return apps.totals().stats.receipts_sent == 40; }, kWaitMs)) << apps.summary();
  EXPECT_EQ(apps.totals().online, 20u);
  apps.stop();
  apps.stop();  // idempotent
}

// The gateway answers for many recipients over a few shared-subscription connections:
// each new (recipient, notification) shown once and receipted on that recipient's topic,
// a repeat receipted again but not shown, a recipient left to its own app untouched, and
// bad input counted.
TEST_F(PushAppTest, AnInboxGatewayReceiptsForManyRecipientsOverFewConnections) {
  InboxGatewayOptions o;
  o.broker_port = broker_->port();
  o.connections = 3;
  o.serves = [](const std::string& recipient) { return recipient != "own-app"; };
  InboxGateway gateway(o, clock_, metrics_);
  std::mutex mu;
  std::vector<std::string> seen;
  gateway.set_on_notification([&](const std::string& recipient, const v1::PushDelivery& d) {
    std::lock_guard lock(mu);
    seen.push_back(recipient + "/" + d.notification_id());
  });
  ASSERT_TRUE(gateway.start());
  ASSERT_TRUE(wait_until([&] { return gateway.online() == 3; }, kWaitMs));
  // The shared subscriptions are live once a probe comes through (sent until it does).
  int polls = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        if (polls++ % 20 == 0) send(delivery("probe", "n-probe", 1));
        return gateway.stats().shown == 1;
      },
      kWaitMs));
  // More than the test cloud's window: each publish waits for room.
  auto publish = [&](const std::string& recipient, const std::string& payload) {
    return wait_until(
        [&] { return cloud_->publish({topic(recipient, topics::PushChannel::kInbox), payload, 1, false}).ok(); },
        kWaitMs);
  };
  const auto ids = VirtualApps::numbered_ids("g", 300);
  for (const auto& id : ids) ASSERT_TRUE(publish(id, codec::encode(delivery(id, "n-" + id, 1))));
  ASSERT_TRUE(publish("own-app", codec::encode(delivery("own-app", "n-own", 1))));
  ASSERT_TRUE(publish("g-00002", "not a protobuf"));
  ASSERT_TRUE(publish("g-00001", codec::encode(delivery("g-00001", "n-g-00001", 1))));  // a re-send
  for (const auto& id : ids) ASSERT_TRUE(receipted("n-" + id)) << id;
  ASSERT_TRUE(receipted("n-g-00001", 2));
  ASSERT_TRUE(wait_until([&] { return gateway.stats().ignored == 1 && gateway.stats().rejected == 1; }, kWaitMs));
  auto st = gateway.stats();
  EXPECT_EQ(st.shown, 301u);  // 300 and the probe
  EXPECT_GE(st.duplicates, 1u);
  EXPECT_TRUE(cloud_side_.receipts("n-own", v1::RECEIPT_KIND_DELIVERED).empty());
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.size(), 301u);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "g-00001/n-g-00001"), 1);
}

TEST(PushAppOptions, BadOptionsAreRefused) {
  testing::FakeTransport t;
  ManualClock clock;
  SeededRandom random(1);
  MetricsRegistry metrics;
  PushAppOptions o;
  o.recipient_id = "has/slash";
  EXPECT_EQ(PushApp::create(o, {t, clock, random, metrics}).error().code, ErrorCode::kInvalidArgument);
  o.recipient_id = "rider-1";
  o.auto_open_probability = 1.5;
  EXPECT_EQ(PushApp::create(o, {t, clock, random, metrics}).error().code, ErrorCode::kInvalidArgument);
  o.auto_open_probability = 0;
  o.dedupe_ids = 0;
  EXPECT_EQ(PushApp::create(o, {t, clock, random, metrics}).error().code, ErrorCode::kInvalidArgument);
}

// Receipts the broker never acknowledged go out again on the next up edge, after the sync.
TEST(PushAppReceipts, UnacknowledgedReceiptsAreSentAgainAfterReconnect) {
  testing::FakeTransport t;
  ManualClock clock;
  SeededRandom random(1);
  MetricsRegistry metrics;
  PushAppOptions o;
  o.recipient_id = "rider-1";
  o.max_pending_receipts = 2;
  auto app = PushApp::create(o, {t, clock, random, metrics});
  ASSERT_TRUE(app.ok());
  ASSERT_TRUE((*app)->start({}));
  EXPECT_EQ(t.subscriptions, std::vector<std::string>{topic("rider-1", topics::PushChannel::kInbox)});
  t.set_connected(true);
  t.ack();
  std::string inbox = topic("rider-1", topics::PushChannel::kInbox);
  std::string receipts = topic("rider-1", topics::PushChannel::kReceipt);
  t.deliver(inbox, codec::encode(delivery("rider-1", "n-1", 1)));
  ASSERT_EQ(t.sent_on(receipts).size(), 1u);
  t.set_connected(false);  // n-1's receipt was never acknowledged
  EXPECT_EQ((*app)->pending_receipts(), 1u);
  // While down, two more receipts are refused at once; the bound keeps the newest two.
  t.deliver(inbox, codec::encode(delivery("rider-1", "n-2", 2)));
  t.deliver(inbox, codec::encode(delivery("rider-1", "n-3", 3)));
  EXPECT_EQ((*app)->pending_receipts(), 2u);
  EXPECT_EQ((*app)->stats().receipts_dropped, 1u);
  t.sent.clear();
  t.set_connected(true);
  auto syncs = t.sent_on(topic("rider-1", topics::PushChannel::kSync));
  ASSERT_EQ(syncs.size(), 1u);
  EXPECT_EQ(codec::decode<v1::InboxSync>(syncs[0].payload, 64)->after_seq(), 3u);
  auto again = t.sent_on(receipts);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(codec::decode<v1::PushReceipt>(again[0].payload, 256)->notification_id(), "n-2");
  EXPECT_EQ(codec::decode<v1::PushReceipt>(again[1].payload, 256)->notification_id(), "n-3");
  t.ack();
  EXPECT_EQ((*app)->pending_receipts(), 0u);
  EXPECT_EQ((*app)->stats().receipts_sent, 2u);
  EXPECT_EQ(metrics.counter_total("tw_push_app_receipts_dropped_total"), 1u);
}

}  // namespace
}  // namespace tidewire::push_app

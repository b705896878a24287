// A merchant terminal places orders over MQTT through the real stack: site broker ->
// tidewire-edge (validation, spool, batch) -> cloud broker -> tidewire-cloud (ingest,
// dispatcher) -> GET /v1/orders/{id}, and hears the answer on its update topic. The
// terminal is a raw MQTT client publishing valid envelopes, as any merchant app could.
#include <google/protobuf/util/json_util.h>

#include <map>
#include <mutex>
#include <sstream>
#include <vector>

#include "stack_fixture.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/protocols/codec.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/transport/mosquitto_client.hpp"
#include "tidewire/transport/mosquitto_loop.hpp"
#include "tidewire/v1/dispatch.pb.h"

namespace tidewire::testing {
namespace {

using process::wait_until;

template <typename T>
bool from_json(const std::string& body, T& out) {
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = true;
  return google::protobuf::util::JsonStringToMessage(body, &out, o).ok();
}

constexpr int64_t kWaitMs = 30'000;

// One MQTT connection on a (locked) broker of the stack, as one principal, recording what
// arrives. Its subscriptions go out before the connection reports up (transport.hpp), so
// nothing published after the constructor returns is missed.
class Peer {
 public:
  Peer(transport::MosquittoLoop& loop, Random& random, int port, const credentials::Login& login,
       const std::vector<std::string>& filters)
      : client_(loop, random) {
    client_.set_message_handler([this](const transport::Message& m) {
      std::lock_guard lock(mu_);
      received_.push_back(m);
    });
    for (const auto& f : filters) EXPECT_TRUE(client_.subscribe(f, 1).ok());
    transport::ConnectOptions o;
    o.port = port;
    o.client_id = login.username;
    o.username = login.username;
    o.password = login.password;
    EXPECT_TRUE(client_.connect(o).ok());
    EXPECT_TRUE(wait_until([&] { return client_.is_connected(); }, kWaitMs));
  }
  void publish(const std::string& topic, const std::string& payload) {
    EXPECT_TRUE(wait_until([&] { return client_.publish({topic, payload, 1, false}).ok(); }, kWaitMs)) << topic;
  }
  std::vector<std::string> on(const std::string& topic) const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& m : received_)
      if (m.topic == topic) out.push_back(m.payload);
    return out;
  }

 private:
  transport::MosquittoClient client_;
  mutable std::mutex mu_;
  std::vector<transport::Message> received_;
};

class MerchantOrderTest : public StackTest {
 protected:
  void SetUp() override {
    start_stack();
    ASSERT_TRUE(loop_.start_thread().ok());
  }
  void TearDown() override {
    terminals_.clear();
    app_.reset();
    loop_.stop();
    StackTest::TearDown();
  }

  void register_merchant(const std::string& id, double lat, double lon) {
    std::ostringstream body;
    body << R"({"merchant_id":")" << id << R"(","name":"Shop )" << id << R"(","lat":)" << lat << ",\"lon\":" << lon
         << "}";
    auto r = post("/v1/merchants", body.str());
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_EQ(r->status, 201) << r->body;
  }

  // The merchant's terminal on the site broker, and the merchant's app on the cloud broker
  // listening to the merchant's update topic, each with its own credential.
  void connect(const std::string& merchant) {
    credentials::Principal app;
    app.kind = credentials::PrincipalKind::kRecipient;
    app.id = merchant;
    app.audience = topics::Audience::kMerchant;
    auto login = stack_->provision(app);
    ASSERT_TRUE(login.ok()) << login.error().describe();
    updates_topic_ = *topics::order_update_topic(topics::Audience::kMerchant, merchant);
    app_ = std::make_unique<Peer>(loop_, random_, stack_->cloud_broker_port(), *login,
                                  std::vector<std::string>{updates_topic_});
    terminal(merchant);
  }

  // The device's own connection (provisioned on first use), subscribed to its acks.
  Peer& terminal(const std::string& device, v1::DeviceKind kind = v1::DEVICE_KIND_MERCHANT) {
    auto& peer = terminals_[device];
    if (!peer) {
      credentials::Principal p;
      p.kind = credentials::PrincipalKind::kDevice;
      p.id = device;
      p.site = stack_->options().site;
      p.device_kind = kind;
      auto login = stack_->provision(p);
      EXPECT_TRUE(login.ok()) << login.error().describe();
      const std::string acks = *topics::device_topic({p.site, kind, device}, topics::Channel::kAck);
      peer = std::make_unique<Peer>(loop_, random_, stack_->site_broker_port(), login.ok() ? *login : credentials::Login{},
                                    std::vector<std::string>{acks});
    }
    return *peer;
  }

  // Publishes like a device's outbox does: again every 500 ms until the edge's DeviceAck
  // covers seq (the edge may not be subscribed yet, and QoS1 to the broker is not
  // delivery to the edge).
  void send(const std::string& device, uint64_t seq, const std::string& wire,
            v1::DeviceKind kind = v1::DEVICE_KIND_MERCHANT) {
    const std::string ack_topic = *topics::device_topic({stack_->options().site, kind, device}, topics::Channel::kAck);
    int64_t last_sent = -1;
    bool acked = wait_until(
        [&] {
          for (const auto& p : terminal(device, kind).on(ack_topic)) {
            v1::DeviceAck a;
            if (a.ParseFromString(p) && a.up_to_seq() >= seq) return true;
          }
          if (last_sent < 0 || clock_.steady_ms() - last_sent >= 500) {
            terminal(device, kind).publish(event_topic(device, kind), wire);
            last_sent = clock_.steady_ms();
          }
          return false;
        },
        kWaitMs);
    ASSERT_TRUE(acked) << device << " seq " << seq << " never acked by the edge";
  }

  std::string order_create(const std::string& device, uint64_t seq, const std::string& body,
                           v1::DeviceKind kind = v1::DEVICE_KIND_MERCHANT) const {
    v1::Envelope e;
    e.set_device_id(device);
    e.set_kind(kind);
    e.set_site(stack_->options().site);
    e.set_boot_id("00000000000000b1");
    e.set_seq(seq);
    e.set_device_time_ms(clock_.wall_ms());
    e.mutable_event()->set_type("order.create");
    e.mutable_event()->set_priority(v1::PRIORITY_HIGH);
    e.mutable_event()->set_body(body);
    return codec::encode(e);
  }
  static std::string order_request(const std::string& order_id, const std::string& merchant_id = "") {
    v1::OrderRequest r;
    r.set_order_id(order_id);
    r.set_merchant_id(merchant_id);
    r.set_dropoff_lat(52.01);
    r.set_dropoff_lon(13.01);
    r.set_customer_id("c-" + order_id);
    return r.SerializeAsString();
  }
  std::string event_topic(const std::string& device, v1::DeviceKind kind = v1::DEVICE_KIND_MERCHANT) const {
    return *topics::device_topic({stack_->options().site, kind, device}, topics::Channel::kEvent);
  }

  // The answers on the merchant's update topic so far.
  std::vector<v1::OrderUpdate> answers() const {
    std::vector<v1::OrderUpdate> out;
    for (const auto& p : app_->on(updates_topic_)) {
      v1::OrderUpdate u;
      EXPECT_TRUE(u.ParseFromString(p));
      out.push_back(u);
    }
    return out;
  }
  bool answered(const std::string& order_id, const std::string& event, const std::string& reason = "") const {
    for (const auto& u : answers())
      if (u.order_id() == order_id && u.event() == event && u.reason() == reason) return true;
    return false;
  }

  // The value of one tw_dispatch_rejects_total series on /metrics, 0 if absent.
  uint64_t rejects(const std::string& op, const std::string& reason) {
    auto r = get("/metrics");
    if (!r || r->status != 200) return 0;
    std::istringstream lines(r->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("tw_dispatch_rejects_total{", 0) != 0) continue;
      if (line.find("op=\"" + op + "\"") == std::string::npos) continue;
      if (line.find("reason=\"" + reason + "\"") == std::string::npos) continue;
      return std::stoull(line.substr(line.rfind(' ') + 1));
    }
    return 0;
  }

  int order_status(const std::string& order_id) {
    auto r = get("/v1/orders/" + order_id);
    return r.ok() ? r->status : -1;
  }

  transport::MosquittoLoop loop_;
  SeededRandom random_{11};
  std::map<std::string, std::unique_ptr<Peer>> terminals_;
  std::unique_ptr<Peer> app_;
  std::string updates_topic_;
};

TEST_F(MerchantOrderTest, AnOrderFromTheTerminalIsCreatedOnceAndAnswered) {
  register_merchant("m-1", 52.0, 13.0);
  connect("m-1");
  const std::string wire = order_create("m-1", 1, order_request("o-1"));
  send("m-1", 1, wire);

  ASSERT_TRUE(wait_until([&] { return order_status("o-1") == 200; }, kWaitMs));
  auto r = get("/v1/orders/o-1");
  ASSERT_TRUE(r.ok());
  v1::OrderView view;
  ASSERT_TRUE(from_json(r->body, view)) << r->body;
  EXPECT_EQ(view.merchant_id(), "m-1");
  EXPECT_EQ(view.customer_id(), "c-o-1");
  EXPECT_DOUBLE_EQ(view.pickup_lat(), 52.0);
  EXPECT_TRUE(wait_until([&] { return answered("o-1", "created"); }, kWaitMs));

  // The terminal re-sends it (as after a lost DeviceAck): one order, and nothing refused.
  terminal("m-1").publish(event_topic("m-1"), wire);
  // A later, different order from the same terminal proves the copy went through first.
  send("m-1", 2, order_create("m-1", 2, order_request("o-2")));
  ASSERT_TRUE(wait_until([&] { return order_status("o-2") == 200; }, kWaitMs));
  auto stats = get("/v1/dispatch/stats");
  ASSERT_TRUE(stats.ok());
  v1::DispatchStats s;
  ASSERT_TRUE(from_json(stats->body, s)) << stats->body;
  EXPECT_EQ(s.orders_created() + s.orders_offered(), 2u) << stats->body;
  EXPECT_EQ(rejects("create", "duplicate_order_id"), 0u);
}

TEST_F(MerchantOrderTest, SpoofedMalformedAndUnknownKindsAreRefusedAndCounted) {
  register_merchant("m-1", 52.0, 13.0);
  register_merchant("m-2", 52.02, 13.0);
  connect("m-1");
  // m-1's terminal claims to be m-2.
  send("m-1", 1, order_create("m-1", 1, order_request("o-spoof", "m-2")));
  // A body that is not an OrderRequest.
  send("m-1", 2, order_create("m-1", 2, std::string("\xff\xff\xff\xff", 4)));
  // A kind the scheme does not know: the site broker's ACL does not let m-1 publish there
  // (and the edge would drop it as bad_topic), so it never reaches the cloud.
  terminal("m-1").publish("tw/v1/site/" + stack_->options().site + "/toaster/t-1/event",
                     order_create("t-1", 1, order_request("o-toaster", "t-1")));
  // A rider device cannot place orders either (the cloud routes only merchant events).
  send("r-1", 1, order_create("r-1", 1, order_request("o-rider", "m-1"), v1::DEVICE_KIND_RIDER), v1::DEVICE_KIND_RIDER);
  // Then a good one: once it exists, everything sent before it has been through.
  send("m-1", 3, order_create("m-1", 3, order_request("o-good")));

  ASSERT_TRUE(wait_until([&] { return order_status("o-good") == 200; }, kWaitMs));
  EXPECT_TRUE(wait_until([&] { return rejects("merchant_order", "merchant_mismatch") == 1; }, kWaitMs));
  EXPECT_TRUE(wait_until([&] { return rejects("merchant_order", "bad_order_request") == 1; }, kWaitMs));
  EXPECT_EQ(order_status("o-spoof"), 404);
  EXPECT_EQ(order_status("o-toaster"), 404);
  EXPECT_EQ(order_status("o-rider"), 404);
  EXPECT_EQ(get("/v1/devices/t-1")->status, 404);  // never relayed
  EXPECT_TRUE(wait_until([&] { return answered("o-spoof", "refused", "merchant_mismatch"); }, kWaitMs));
  EXPECT_TRUE(wait_until([&] { return answered("", "refused", "bad_order_request"); }, kWaitMs));
  EXPECT_TRUE(wait_until([&] { return answered("o-good", "created"); }, kWaitMs));

  // Nothing crashed: both processes still serve.
  auto health = get("/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  send("m-1", 4, order_create("m-1", 4, order_request("o-after")));
  EXPECT_TRUE(wait_until([&] { return order_status("o-after") == 200; }, kWaitMs));
}

}  // namespace
}  // namespace tidewire::testing

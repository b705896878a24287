// Issue 9's attacks, replayed against the Stack as users run it (both brokers locked,
// bearer tokens on HTTP, the webhook target policy). Each test carries one attack out with
// the strongest credential an attacker plausibly holds that is not the victim's (another
// device's login, another edge's login, a recipient's login, another principal's token, no
// token) and asserts what the victim cares about, not only that a publish was dropped.
//
// A forgery that is dropped leaves no trace, so every "nothing happened" is checked after
// something that would have come after it has arrived: a legitimate message published
// after the forgery on the same connection (the broker, the edge's spool and the cloud's
// ingest keep one connection's order), or a forgery the broker had acknowledged before
// the legitimate traffic it would have overtaken was even sent (MqttPeer::publish_acked).
//
// Where these stand beside the other tests: anonymous clients refused by both brokers and
// a revoked device refused (locked_stack_test.cpp); each principal's ACL on bare brokers
// (tests/cloud/credentials/broker_acl_test.cpp); every route's 401/403 and object-level
// checks (tests/cloud/identity/route_walk_test.cpp); webhook target classes and call-time
// refusal after DNS (tests/cloud/push/webhook_test.cpp, push_webhook_delivery_test.cpp).
//
// One Stack serves the suite (SetUpTestSuite); each test attacks its own victim device,
// so an attack that gets through spoils no other test's outcome.
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "attacker.hpp"
#include "http/client.hpp"
#include "http/server.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/sim/fleet.hpp"
#include "tidewire/sim/stack.hpp"
#include "tidewire/sim/verify.hpp"
#include "tidewire/v1/dispatch.pb.h"
#include "tidewire/v1/fleet.pb.h"
#include "tidewire/v1/identity.pb.h"
#include "tidewire/v1/push.pb.h"

namespace tidewire::testing {
namespace {

namespace fs = std::filesystem;
using credentials::Login;
using credentials::PrincipalKind;
using topics::Channel;
using topics::DeviceAddress;
using topics::EdgeChannel;

constexpr int64_t kWaitMs = kAttackWaitMs;
constexpr int kPosters = 6;
const std::string kSite = "site-1";
const std::string kEdge = "edge-1";
const std::string kOtherEdge = "edge-2";  // provisioned for site-2: a real edge, not this site's
const std::string kOtherSite = "site-2";

template <typename T>
T from_json(const std::string& body) {
  T out;
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = true;
  auto st = google::protobuf::util::JsonStringToMessage(body, &out, o);
  EXPECT_TRUE(st.ok()) << st.message() << " in " << body;
  return out;
}

DeviceAddress poster(const std::string& id, const std::string& site = kSite) {
  return {site, v1::DEVICE_KIND_POSTER, id};
}
// The fleet's posters: victim(1) is sim-poster-00001.
DeviceAddress victim(int n) {
  char id[32];
  std::snprintf(id, sizeof id, "sim-poster-%05d", n);
  return poster(id);
}

// Everything the tests share: one Stack, its fleet, and the logins an attacker may hold.
struct Site {
  fs::path dir;
  SystemClock clock;
  MetricsRegistry fleet_metrics;  // the virtual devices' tw_agent_* counters
  std::unique_ptr<sim::Stack> stack;
  std::unique_ptr<sim::Fleet> fleet;
  int edge_metrics_port = 0;
  transport::MosquittoLoop loop;
  Login intruder;   // device.intruder-1: a real device of site-1
  Login sleeper;    // device.sleeper-1: a device of site-1 that went away (its commands never run)
  Login other_edge; // edge.edge-2 (site-2)
  Login recipient;  // recipient.rcp-intruder: a push app
  // The intruder's and the sleeper's own numbering: seqs only grow, as on a real device.
  std::string intruder_boot = "1ce1ce1ce1ce1ce1";
  std::string sleeper_boot = "5eeb5eeb5eeb5eeb";
  uint64_t intruder_seq = 0;
  uint64_t edge_batch_id = 0;  // edge-2's own batches
  bool failed = false;
  std::string setup_error;
};
Site* g_site = nullptr;

class AttackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_site = new Site();
    if (auto st = start_site(*g_site); !st) g_site->setup_error = st.error().describe();
  }
  static void TearDownTestSuite() {
    Site* s = g_site;
    g_site = nullptr;
    if (s->fleet) s->fleet->stop();
    s->fleet.reset();
    if (s->stack) s->stack->stop();
    s->loop.stop();
    if (!s->failed && s->setup_error.empty()) {
      fs::remove_all(s->dir);
    } else {
      std::cerr << "logs kept in " << s->dir << "\n";
    }
    delete s;
  }
  void SetUp() override { ASSERT_TRUE(g_site->setup_error.empty()) << g_site->setup_error; }
  void TearDown() override {
    if (HasFailure()) g_site->failed = true;
  }

  static Status start_site(Site& s);

  Site& site() { return *g_site; }
  sim::Stack& stack() { return *g_site->stack; }

  // --- HTTP, as the operator unless another bearer is given ("" = no header) ---
  Expected<http::Response> call(const std::string& method, const std::string& target, const std::string& body = "",
                                const std::optional<std::string>& bearer = std::nullopt) {
    const std::string token = bearer.value_or(stack().operator_token());
    http::HeaderList h;
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return http::http_request("127.0.0.1", stack().http_port(), method, target, body, 10'000, h);
  }
  int status_of(const std::string& method, const std::string& target, const std::string& body,
                const std::string& bearer) {
    auto r = call(method, target, body, bearer);
    EXPECT_TRUE(r.ok()) << method << " " << target;
    return r.ok() ? r->status : 0;
  }
  std::optional<v1::Device> device(const std::string& id) {
    auto r = call("GET", "/v1/devices/" + id);
    if (!r.ok() || r->status != 200) return std::nullopt;
    return from_json<v1::Device>(r->body);
  }
  int device_status(const std::string& id) {
    auto r = call("GET", "/v1/devices/" + id);
    return r.ok() ? r->status : 0;
  }
  uint32_t devices_total() {
    auto r = call("GET", "/v1/fleet/summary");
    EXPECT_TRUE(r.ok() && r->status == 200);
    return r.ok() && r->status == 200 ? from_json<v1::FleetSummary>(r->body).total() : 0;
  }
  // Every event the cloud stored for `id` with seq > after_seq.
  std::vector<v1::StoredEvent> events_after(const std::string& id, uint64_t after_seq) {
    std::vector<v1::StoredEvent> out;
    for (int page = 0; page < 100; ++page) {
      auto r = call("GET", "/v1/devices/" + id + "/events?limit=1000&after_seq=" + std::to_string(after_seq));
      if (!r.ok() || r->status != 200) break;
      auto list = from_json<v1::EventList>(r->body);
      for (const auto& e : list.events()) out.push_back(e);
      if (list.next_after_seq() == 0) break;
      after_seq = list.next_after_seq();
    }
    return out;
  }
  // POSTs a command as the operator; its id, or "" (with a test failure).
  std::string command(const std::string& device_id, const std::string& body) {
    auto r = call("POST", "/v1/devices/" + device_id + "/commands", body);
    EXPECT_TRUE(r.ok() && r->status == 201) << (r.ok() ? r->body : r.error().describe());
    return r.ok() && r->status == 201 ? from_json<v1::CommandView>(r->body).command_id() : "";
  }
  v1::CommandView command_view(const std::string& id) {
    auto r = call("GET", "/v1/commands/" + id);
    return r.ok() && r->status == 200 ? from_json<v1::CommandView>(r->body) : v1::CommandView{};
  }
  bool wait_completed(const std::string& id) {
    return process::wait_until([&] { return command_view(id).state() == v1::COMMAND_STATE_COMPLETED; }, kWaitMs);
  }
  // Commands the virtual devices answered, whatever the outcome.
  uint64_t commands_answered() {
    uint64_t n = 0;
    for (const char* o : {"ok", "failed", "unsupported", "expired", "unspecified"}) {
      n += site().fleet_metrics.counter_value("tw_agent_commands_total", {{"outcome", o}});
    }
    return n;
  }

  // --- metrics ---
  double cloud_metric(const std::string& name, const std::vector<std::string>& labels = {}) {
    auto r = call("GET", "/metrics");
    return r.ok() && r->status == 200 ? metric_sum(r->body, name, labels) : -1;
  }
  double edge_metric(const std::string& name, const std::vector<std::string>& labels = {}) {
    auto r = http::http_request("127.0.0.1", site().edge_metrics_port, "GET", "/metrics", "", 5'000);
    return r.ok() && r->status == 200 ? metric_sum(r->body, name, labels) : -1;
  }
  // wait_until polls every 5 ms; a condition that scrapes is checked at most every 50 ms.
  static std::function<bool()> every_50ms(std::function<bool()> check) {
    auto last = std::make_shared<std::chrono::steady_clock::time_point>();
    return [=] {
      auto now = std::chrono::steady_clock::now();
      if (now - *last < std::chrono::milliseconds(50)) return false;
      *last = now;
      return check();
    };
  }

  // --- the attacker's connections ---
  std::unique_ptr<MqttPeer> on_site(const Login& login, const std::string& name,
                                    const std::vector<std::string>& filters = {}) {
    return std::make_unique<MqttPeer>(site().loop, stack().site_broker_port(), login, name, filters);
  }
  std::unique_ptr<MqttPeer> on_cloud(const Login& login, const std::string& name,
                                     const std::vector<std::string>& filters = {}) {
    return std::make_unique<MqttPeer>(site().loop, stack().cloud_broker_port(), login, name, filters);
  }
  // The intruder's own event (its own topic, its own name), stored by the cloud once the
  // edge has relayed everything the intruder's connection published before it.
  bool intruder_marker_arrives(MqttPeer& intruder) {
    const uint64_t seq = ++site().intruder_seq;
    const auto me = poster("intruder-1");
    if (!intruder.publish_acked(topic_of(me, Channel::kEvent),
                                codec::encode(event_of(me, site().intruder_boot, seq, "intruder.marker")))) {
      return false;
    }
    return process::wait_until(every_50ms([&] { return !events_after("intruder-1", seq - 1).empty(); }), kWaitMs);
  }
  // Publishes a frame on edge-2's own batch topic and returns the cloud's BatchAck for it,
  // which comes only after the cloud processed every frame edge-2 published before.
  std::optional<v1::BatchAck> other_edge_batch_acked(MqttPeer& other_edge, const std::string& frame,
                                                    uint64_t batch_id) {
    if (!other_edge.publish_acked(edge_topic_of(kOtherEdge, EdgeChannel::kBatch), frame)) return std::nullopt;
    std::optional<v1::BatchAck> found;
    process::wait_until(
        [&] {
          for (const auto& m : other_edge.received()) {
            auto ack = codec::decode<v1::BatchAck>(m.payload, codec::kMaxBatchFrameBytes);
            if (ack && ack->batch_id() == batch_id) found = *ack;
          }
          return found.has_value();
        },
        kWaitMs);
    return found;
  }
  // An empty batch of edge-2's own: the cloud acks it without storing anything.
  bool other_edge_marker_acked(MqttPeer& other_edge) {
    const uint64_t id = ++site().edge_batch_id;
    return other_edge_batch_acked(other_edge, batch_frame(kOtherEdge, kOtherSite, id, {}), id).has_value();
  }
  // Publishes a frame naming site-1 on edge-2's own batch topic. The cloud must refuse it
  // whole (edge-2 serves site-2: identity_mismatch, never acked). Once an empty batch
  // edge-2 sent after it is acked the cloud is through with it, so the count and the
  // missing ack are final.
  bool other_edge_forgery_refused(MqttPeer& other_edge, const std::string& frame, uint64_t batch_id) {
    const std::vector<std::string> mismatch = {"unit=\"frame\"", "reason=\"identity_mismatch\""};
    const double refused = cloud_metric("tw_cloud_rejects_total", mismatch);
    if (!other_edge.publish_acked(edge_topic_of(kOtherEdge, EdgeChannel::kBatch), frame)) return false;
    if (!other_edge_marker_acked(other_edge)) return false;
    for (const auto& m : other_edge.received()) {
      auto ack = codec::decode<v1::BatchAck>(m.payload, codec::kMaxBatchFrameBytes);
      EXPECT_FALSE(ack && ack->batch_id() == batch_id) << "the cloud acked edge-2's batch for site-1";
    }
    return cloud_metric("tw_cloud_rejects_total", mismatch) >= refused + 1;
  }
  std::unique_ptr<MqttPeer> other_edge_on_cloud(const std::string& name) {
    auto p = on_cloud(site().other_edge, name, {edge_topic_of(kOtherEdge, EdgeChannel::kAck)});
    EXPECT_TRUE(p->wait_connected());
    return p;
  }
};

Status AttackTest::start_site(Site& s) {
  const char* bin = std::getenv("TW_BIN_DIR");
  if (bin == nullptr) return make_error(ErrorCode::kUnavailable, "TW_BIN_DIR is set by ctest; run through ctest");
  s.dir = fs::temp_directory_path() / ("tw-it-" + std::to_string(::getpid()) + "-AttackTest");
  fs::remove_all(s.dir);
  auto port = process::free_loopback_port();
  if (!port) return port.error();
  s.edge_metrics_port = *port;
  sim::StackOptions so;
  so.run_dir = s.dir.string();
  so.bin_dir = bin;
  so.site = kSite;
  so.edge_id = kEdge;
  // Batches in flight when the cloud went down are re-sent after this (10 s by default).
  so.edge_extra_config =
      "metrics-port = " + std::to_string(s.edge_metrics_port) + "\nbatch-ack-timeout-ms = 2000\n";
  auto started = sim::Stack::start(so);
  if (!started) return started.error();
  s.stack = std::move(*started);

  sim::FleetOptions fo;
  fo.site = kSite;
  fo.broker_port = s.stack->site_broker_port();
  fo.posters = kPosters;
  fo.event_interval_ms = 0;
  fo.status_interval_ms = 60'000;
  // The fleet's logins and the attackers', provisioned as an operator would for real
  // principals, in one go (each provisioning reloads both brokers).
  auto principal = [](PrincipalKind kind, const std::string& id, const std::string& site_id) {
    credentials::Principal p;
    p.kind = kind;
    p.id = id;
    p.site = site_id;
    if (kind == PrincipalKind::kDevice) p.device_kind = v1::DEVICE_KIND_POSTER;
    return p;
  };
  std::vector<credentials::Principal> principals = {principal(PrincipalKind::kDevice, "intruder-1", kSite),
                                                    principal(PrincipalKind::kDevice, "sleeper-1", kSite),
                                                    principal(PrincipalKind::kEdge, kOtherEdge, kOtherSite),
                                                    principal(PrincipalKind::kRecipient, "rcp-intruder", "")};
  for (const auto& [kind, id] : sim::fleet_devices(fo)) principals.push_back(principal(PrincipalKind::kDevice, id, kSite));
  auto logins = s.stack->provision(principals);
  if (!logins) return logins.error();
  s.intruder = (*logins)[0];
  s.sleeper = (*logins)[1];
  s.other_edge = (*logins)[2];
  s.recipient = (*logins)[3];
  for (size_t i = 4; i < logins->size(); ++i) fo.logins[(*logins)[i].username] = (*logins)[i].password;
  if (auto st = s.loop.start_thread(); !st) return st;

  // The intruder and the sleeper each speak once as themselves, so the edge and the cloud
  // know them; then the sleeper leaves (cleanly: no will), and its commands never run. The
  // intruder says hello until the edge hears it: then the edge's subscriptions stand, and
  // the fleet's one online presence per device cannot go unheard.
  auto presences_heard = [&] {
    auto r = http::http_request("127.0.0.1", s.edge_metrics_port, "GET", "/metrics", "", 5'000);
    return r.ok() && r->status == 200 ? metric_sum(r->body, "tw_edge_received_total", {"channel=\"presence\""}) : 0;
  };
  for (auto [login, who, boot] : {std::tuple{&s.intruder, poster("intruder-1"), s.intruder_boot},
                                  std::tuple{&s.sleeper, poster("sleeper-1"), s.sleeper_boot}}) {
    MqttPeer peer(s.loop, s.stack->site_broker_port(), *login, who.device_id + "-hello");
    if (!peer.wait_connected()) return make_error(ErrorCode::kUnavailable, who.device_id + " cannot connect");
    const double heard = presences_heard();
    const std::string hello = codec::encode(presence_of(who, boot, true, 1));
    if (!process::wait_until(
            [&] { return peer.publish_acked(topic_of(who, Channel::kPresence), hello) && presences_heard() > heard; },
            kWaitMs)) {
      return make_error(ErrorCode::kUnavailable, "the edge never heard " + who.device_id);
    }
  }
  s.fleet = std::make_unique<sim::Fleet>(fo, s.clock, s.fleet_metrics);
  if (auto st = s.fleet->start(); !st) return st;
  const std::string operator_token = s.stack->operator_token();
  std::vector<std::string> everyone = {"intruder-1", "sleeper-1"};
  for (const auto& [kind, id] : sim::fleet_devices(fo)) everyone.push_back(id);
  bool known = process::wait_until(
      [&] {
        if (s.fleet->online() != static_cast<size_t>(kPosters)) return false;
        for (const auto& id : everyone) {
          auto r = http::http_request("127.0.0.1", s.stack->http_port(), "GET", "/v1/devices/" + id, "", 5'000,
                                      {{"Authorization", "Bearer " + operator_token}});
          if (!r.ok() || r->status != 200) return false;
        }
        return true;
      },
      kWaitMs);
  if (!known) return make_error(ErrorCode::kTimeout, "the cloud did not learn every device: " + s.fleet->summary());
  return {};
}

// "An anonymous client on the site broker read command arguments of every device."
// Anonymous clients are refused (locked_stack_test.cpp); here the strongest outsiders
// subscribe to everything while the operator sends a device a command with a secret
// argument: another device of the site on the site broker, and on the cloud broker, where
// the command travels to the edge, another edge and a push app. Then another edge tries to
// have the device's commands sent to itself.
TEST_F(AttackTest, NoOtherLoginReadsTheCommandArgumentsOfADevice) {
  const auto target = victim(1);
  const auto me = poster("intruder-1");
  auto anonymous = on_site(Login{}, "anonymous-reader", {"#"});
  auto intruder = on_site(site().intruder, "intruder-1-reader",
                          {"#", "tw/v1/site/+/+/+/cmd", topic_of(target, Channel::kCommand),
                           topic_of(me, Channel::kCommand)});
  auto other_edge = on_cloud(site().other_edge, "edge-2-reader",
                             {"#", "tw/v1/edge/+/cmd", edge_topic_of(kEdge, EdgeChannel::kCommand),
                              edge_topic_of(kOtherEdge, EdgeChannel::kAck)});
  auto recipient = on_cloud(site().recipient, "rcp-reader", {"#", "tw/v1/edge/+/cmd"});
  ASSERT_TRUE(intruder->wait_connected());
  ASSERT_TRUE(other_edge->wait_connected());
  ASSERT_TRUE(recipient->wait_connected());
  EXPECT_TRUE(anonymous->wait_refused());
  // Its own commands reach it, so its subscriptions stand before the victim's command is sent.
  ASSERT_FALSE(command("intruder-1", R"({"name":"ping","timeout_s":5})").empty());
  ASSERT_TRUE(process::wait_until([&] { return intruder->count_on(topic_of(me, Channel::kCommand)) >= 1; },
                                  kWaitMs));
  // Edge-2 gets an ack on the filter it subscribed last, so all of its filters stand.
  ASSERT_TRUE(other_edge_marker_acked(*other_edge));

  const std::string secret = "pin-7f3a9c";
  const std::string id = command(target.device_id, R"({"name":"set_brightness","args":{"pct":"40","pin":")" +
                                                        secret + R"("}})");
  ASSERT_TRUE(wait_completed(id));  // the victim got it and ran it
  // The edge sends the next command on the same connection after the victim's: once it
  // arrives, the victim's would have arrived before it.
  const size_t own_before = intruder->count_on(topic_of(me, Channel::kCommand));
  ASSERT_FALSE(command("intruder-1", R"({"name":"ping","timeout_s":5})").empty());
  ASSERT_TRUE(process::wait_until(
      [&] { return intruder->count_on(topic_of(me, Channel::kCommand)) > own_before; }, kWaitMs));
  // Likewise the cloud acks edge-2's next batch after it published the victim's command.
  ASSERT_TRUE(other_edge_marker_acked(*other_edge));

  for (const auto* peer : {intruder.get(), anonymous.get(), other_edge.get(), recipient.get()}) {
    for (const auto& m : peer->received()) {
      EXPECT_EQ(m.payload.find(secret), std::string::npos) << "the secret argument reached a reader on " << m.topic;
      EXPECT_EQ(m.topic.find(target.device_id), std::string::npos) << "the victim's traffic reached " << m.topic;
      EXPECT_NE(m.topic, edge_topic_of(kEdge, EdgeChannel::kCommand)) << "edge-1's commands reached a reader";
    }
  }
  EXPECT_TRUE(anonymous->received().empty());
  EXPECT_TRUE(recipient->received().empty());

  {
    SCOPED_TRACE("another edge reports the device as its own, then waits for its commands");
    const uint64_t batch_id = ++site().edge_batch_id;
    const auto boot = site().fleet->ledgers()[0].boot_id;
    EXPECT_TRUE(other_edge_forgery_refused(
        *other_edge, batch_frame(kOtherEdge, kSite, batch_id, {presence_of(target, boot, true, 1'000'000'000)}),
        batch_id));
    const std::string next = secret + "-2";
    const std::string id2 = command(target.device_id, R"({"name":"set_brightness","args":{"pct":"45","pin":")" +
                                                           next + R"("}})");
    auto captured = [&] {
      for (const auto& m : other_edge->received()) {
        if (m.payload.find(next) != std::string::npos) return true;
      }
      return false;
    };
    process::wait_until(every_50ms([&] { return captured() || command_view(id2).state() == v1::COMMAND_STATE_COMPLETED; }),
                        kWaitMs);
    EXPECT_FALSE(captured()) << "edge-2 read the device's command";
    EXPECT_EQ(command_view(id2).state(), v1::COMMAND_STATE_COMPLETED) << "the device never got its command";
  }
}

// "A forged presence kept a connected device offline for 15 minutes, and a lone forged
// presence created a phantom device."
TEST_F(AttackTest, AForgedPresenceNeitherHidesAConnectedDeviceNorCreatesAPhantom) {
  const auto target = victim(2);
  const auto phantom = poster("phantom-presence");
  const auto me = poster("intruder-1");
  ASSERT_TRUE(device(target.device_id).has_value() && device(target.device_id)->online());
  const uint32_t total_before = devices_total();
  const std::string boot = site().fleet->ledgers()[1].boot_id;  // the victim's own, as if known
  const auto offline = presence_of(target, boot, false, 1'000'000'000);
  const auto hello = presence_of(phantom, "ffffffffffffffff", true, 1);

  {
    SCOPED_TRACE("another device's login on the site broker");
    auto intruder = on_site(site().intruder, "intruder-1-presence");
    ASSERT_TRUE(intruder->wait_connected());
    const double mismatches = edge_metric("tw_edge_rejects_total", {"reason=\"identity_mismatch\""});
    // On the victim's and the phantom's topics (the ACL drops them), and on its own topic
    // in their names (the edge drops them).
    for (const auto& [who, env] : {std::pair{target, offline}, std::pair{phantom, hello}}) {
      EXPECT_TRUE(intruder->publish_acked(topic_of(who, Channel::kPresence), codec::encode(env)));
      EXPECT_TRUE(intruder->publish_acked(topic_of(me, Channel::kPresence), codec::encode(env)));
    }
    EXPECT_TRUE(intruder_marker_arrives(*intruder));
    EXPECT_GE(edge_metric("tw_edge_rejects_total", {"reason=\"identity_mismatch\""}), mismatches + 2);
    auto d = device(target.device_id);
    ASSERT_TRUE(d.has_value());
    EXPECT_TRUE(d->online()) << d->DebugString();
    EXPECT_EQ(device_status(phantom.device_id), 404);
    EXPECT_EQ(devices_total(), total_before);
  }
  {
    SCOPED_TRACE("another edge's login on the cloud broker");
    auto other_edge = other_edge_on_cloud("edge-2-presence");
    const uint64_t id = ++site().edge_batch_id;
    EXPECT_TRUE(other_edge_forgery_refused(*other_edge, batch_frame(kOtherEdge, kSite, id, {offline, hello}), id))
        << "the cloud took another site's presence from edge-2";
    auto d = device(target.device_id);
    ASSERT_TRUE(d.has_value());
    EXPECT_TRUE(d->online()) << d->DebugString();
    EXPECT_EQ(d->edge_id(), kEdge) << "the device's commands now go to edge-2";
    EXPECT_EQ(device_status(phantom.device_id), 404);
    EXPECT_EQ(devices_total(), total_before);
  }
}

// "A forged event with a seq 1,000 ahead made the edge ack past the real events, and 27 of
// 120 real events were then discarded as duplicates."
TEST_F(AttackTest, ForgedEventsAndAcksLoseNoneOfADevices120RealEvents) {
  // Two victims, one per forger, so that one forgery's damage cannot hide the other's.
  const auto on_site_victim = victim(3);
  const auto on_cloud_victim = victim(6);
  const auto me = poster("intruder-1");
  const auto ledgers = site().fleet->ledgers();
  ASSERT_EQ(ledgers[2].device_id, on_site_victim.device_id);
  ASSERT_EQ(ledgers[5].device_id, on_cloud_victim.device_id);
  std::map<std::string, uint64_t> highest;
  for (const auto& v : {on_site_victim, on_cloud_victim}) {
    auto d = device(v.device_id);
    ASSERT_TRUE(d.has_value());
    highest[v.device_id] = d->highest_seq();
  }
  auto intruder = on_site(site().intruder, "intruder-1-events");
  auto other_edge = other_edge_on_cloud("edge-2-events");
  ASSERT_TRUE(intruder->wait_connected());

  // Another edge claims its victim's next seqs under the victim's boot id before the
  // device sends them: the cloud would take the real ones for duplicates.
  const uint64_t from = highest[on_cloud_victim.device_id];
  std::vector<v1::Envelope> claimed;
  for (uint64_t seq = from + 1; seq <= from + 200; ++seq) {
    claimed.push_back(event_of(on_cloud_victim, ledgers[5].boot_id, seq, "forged"));
  }
  const uint64_t claim_id = ++site().edge_batch_id;
  EXPECT_TRUE(other_edge_forgery_refused(*other_edge, batch_frame(kOtherEdge, kSite, claim_id, claimed), claim_id))
      << "the cloud took edge-2's events for a site-1 device";

  // Another device: seq 1,000 ahead (with a floor that would let the edge's watermark jump
  // there), on the victim's topic and on its own in the victim's name, and a DeviceAck far
  // ahead straight to the victim; again while the device sends its 120 events.
  const uint64_t base = highest[on_site_victim.device_id];
  const double mismatches = edge_metric("tw_edge_rejects_total", {"reason=\"identity_mismatch\""});
  auto forge = [&](uint64_t ahead) {
    const auto ev = codec::encode(event_of(on_site_victim, ledgers[2].boot_id, base + ahead, "forged", base + ahead));
    v1::DeviceAck ack;
    ack.set_device_id(on_site_victim.device_id);
    ack.set_up_to_seq(base + 1'000'000);
    EXPECT_TRUE(intruder->publish_acked(topic_of(on_site_victim, Channel::kEvent), ev));
    EXPECT_TRUE(intruder->publish_acked(topic_of(me, Channel::kEvent), ev));
    EXPECT_TRUE(intruder->publish_acked(topic_of(on_site_victim, Channel::kAck), codec::encode(ack)));
  };
  forge(1000);
  site().fleet->record_scripted_events(120, 1'500);
  for (uint64_t ahead = 1001; !site().fleet->all_acked() && ahead < 1100; ++ahead) forge(ahead);
  EXPECT_TRUE(intruder_marker_arrives(*intruder));
  EXPECT_GE(edge_metric("tw_edge_rejects_total", {"reason=\"identity_mismatch\""}), mismatches + 2);
  ASSERT_TRUE(process::wait_until([&] { return site().fleet->all_acked(); }, kWaitMs)) << site().fleet->summary();

  // Every real event of every device is in the cloud exactly once...
  Expected<sim::VerifyReport> report = make_error(ErrorCode::kTimeout, "not run");
  bool ok = process::wait_until(every_50ms([&] {
                                  report = sim::verify_in_cloud(
                                      {"127.0.0.1", stack().http_port(), stack().operator_token()},
                                      site().fleet->ledgers());
                                  return report.ok() && report->ok();
                                }),
                                kWaitMs);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(ok) << report->to_json();
  // ... as itself (the check above finds an event by device, boot and seq only): what the
  // cloud holds under each victim's name since the attack began is its 120 scripted
  // events, none of the forger's.
  for (const auto& v : {on_site_victim, on_cloud_victim}) {
    SCOPED_TRACE(v.device_id == on_site_victim.device_id ? "another device's login on the site broker"
                                                         : "another edge's login on the cloud broker");
    size_t scripted = 0, forged = 0;
    for (const auto& e : events_after(v.device_id, highest[v.device_id])) {
      scripted += e.type() == "sim.scripted" ? 1 : 0;
      forged += e.type() == "forged" ? 1 : 0;
    }
    EXPECT_EQ(scripted, 120u);
    EXPECT_EQ(forged, 0u) << "events the forger wrote under the victim's name";
  }
}

// "On the cloud broker, a forged BatchAck listing spool ids 1..200,000 made the edge delete
// rows the cloud never had (54 of 90 events lost)."
TEST_F(AttackTest, AForgedBatchAckLosesNoneOfTheEventsSpooledWhileTheCloudIsDown) {
  // The cloud comes back whatever happens below, so the other tests find it up.
  struct CloudBack {
    sim::Stack& stack;
    bool up = false;
    ~CloudBack() {
      if (!up) {
        EXPECT_TRUE(stack.start_cloud().ok());
      }
    }
  };
  const auto earlier = site().fleet->ledgers();
  stack().kill9_cloud();
  CloudBack back{stack()};
  site().fleet->record_scripted_events(15, 0);  // 90 events, held by the edge
  ASSERT_TRUE(process::wait_until([&] { return site().fleet->all_acked(); }, kWaitMs)) << site().fleet->summary();
  const double rows = edge_metric("tw_edge_spool_rows");
  ASSERT_GE(rows, 1);

  v1::BatchAck forged;
  forged.set_edge_id(kEdge);
  forged.set_batch_id(200'000);
  for (uint64_t id = 1; id <= 200'000; ++id) forged.add_spool_ids(id);
  forged.set_accepted(200'000);
  const std::string payload = codec::encode(forged);
  const std::string acks = edge_topic_of(kEdge, EdgeChannel::kAck);
  {
    auto other_edge = on_cloud(site().other_edge, "edge-2-acks");
    auto recipient = on_cloud(site().recipient, "rcp-acks");
    ASSERT_TRUE(other_edge->wait_connected());
    ASSERT_TRUE(recipient->wait_connected());
    EXPECT_TRUE(other_edge->publish_acked(acks, payload));
    EXPECT_TRUE(recipient->publish_acked(acks, payload));
  }
  // The broker has finished with the forgeries; an ack the edge does take (the cloud's own
  // login, listing nothing) now queues behind them. Once the edge counts it, it has read
  // whatever was ahead of it.
  const double acks_seen = edge_metric("tw_edge_batches_acked_total") + edge_metric("tw_edge_batch_acks_unknown_total");
  {
    const auto cloud_login = credentials::find_login(stack().logins(), PrincipalKind::kCloud, "cloud-1");
    ASSERT_TRUE(cloud_login.has_value());
    auto cloud = on_cloud(*cloud_login, "cloud-1-marker");
    ASSERT_TRUE(cloud->wait_connected());
    v1::BatchAck empty;
    empty.set_edge_id(kEdge);
    empty.set_batch_id(0);
    ASSERT_TRUE(cloud->publish_acked(acks, codec::encode(empty)));
  }
  ASSERT_TRUE(process::wait_until(every_50ms([&] {
                                    return edge_metric("tw_edge_batches_acked_total") +
                                               edge_metric("tw_edge_batch_acks_unknown_total") >=
                                           acks_seen + 1;
                                  }),
                                  kWaitMs));
  EXPECT_GE(edge_metric("tw_edge_spool_rows"), rows) << "the edge deleted spooled rows on a forged ack";
  EXPECT_EQ(edge_metric("tw_edge_batches_acked_total") + edge_metric("tw_edge_batch_acks_unknown_total"),
            acks_seen + 1);

  // The cloud returns and gets every event spooled while it was down, once.
  back.up = true;
  ASSERT_TRUE(stack().start_cloud().ok());
  auto spooled = site().fleet->ledgers();
  for (size_t i = 0; i < spooled.size(); ++i) {
    auto& seqs = spooled[i].scripted_seqs;
    seqs.erase(seqs.begin(), seqs.begin() + static_cast<std::ptrdiff_t>(earlier[i].scripted_seqs.size()));
  }
  Expected<sim::VerifyReport> report = make_error(ErrorCode::kTimeout, "not run");
  bool ok = process::wait_until(every_50ms([&] {
                                  report = sim::verify_in_cloud(
                                      {"127.0.0.1", stack().http_port(), stack().operator_token()}, spooled);
                                  return report.ok() && report->ok();
                                }),
                                kWaitMs);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_TRUE(ok) << report->to_json();
  EXPECT_EQ(report->found, 90u);
}

// "A forged CommandBatch made a device run a command."
TEST_F(AttackTest, AForgedCommandBatchOrCommandIsNeverRunByTheDevice) {
  const auto target = victim(4);
  const uint64_t answered = commands_answered();
  const double unknown = cloud_metric("tw_cloud_rejects_total", {"unit=\"item\"", "reason=\"unknown_command\""});
  v1::Command cmd;
  cmd.set_command_id("cmd-forged-0001");
  cmd.set_device_id(target.device_id);
  cmd.set_name("set_brightness");
  (*cmd.mutable_args())["pct"] = "1";
  v1::CommandBatch batch;
  *batch.add_commands() = cmd;
  const std::string downlink = edge_topic_of(kEdge, EdgeChannel::kCommand);
  {
    // On the cloud broker, to this site's edge, as another edge and as a push app; on the
    // site broker, straight to the device, as another device.
    auto other_edge = on_cloud(site().other_edge, "edge-2-cmd");
    auto recipient = on_cloud(site().recipient, "rcp-cmd");
    auto intruder = on_site(site().intruder, "intruder-1-cmd");
    for (auto* p : {other_edge.get(), recipient.get(), intruder.get()}) ASSERT_TRUE(p->wait_connected());
    EXPECT_TRUE(other_edge->publish_acked(downlink, codec::encode(batch)));
    EXPECT_TRUE(other_edge->publish_acked(edge_topic_of(kOtherEdge, EdgeChannel::kCommand), codec::encode(batch)));
    EXPECT_TRUE(recipient->publish_acked(downlink, codec::encode(batch)));
    EXPECT_TRUE(intruder->publish_acked(topic_of(target, Channel::kCommand), codec::encode(cmd)));
  }
  // A real command takes the same way after them; its result comes back after any result
  // of theirs would have.
  const std::string real = command(target.device_id, R"({"name":"set_brightness","args":{"pct":"60"}})");
  ASSERT_TRUE(wait_completed(real));
  EXPECT_EQ(commands_answered(), answered + 1) << "the device ran a command nobody sent";
  EXPECT_EQ(cloud_metric("tw_cloud_rejects_total", {"unit=\"item\"", "reason=\"unknown_command\""}), unknown);
}

// "A forged result marked a command completed that never ran." The command goes to a
// device that is away, so only a forgery could complete it. The forgers are handed its id
// (the worst case: the first test shows the logins here cannot read it).
TEST_F(AttackTest, AForgedResultCompletesNoCommandThatNeverRan) {
  const auto target = poster("sleeper-1");
  const auto me = poster("intruder-1");
  const std::string id = command(target.device_id, R"({"name":"reboot","timeout_s":600})");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(process::wait_until([&] { return command_view(id).state() == v1::COMMAND_STATE_SENT; }, kWaitMs));
  {
    SCOPED_TRACE("another device's login on the site broker");
    auto intruder = on_site(site().intruder, "intruder-1-result");
    ASSERT_TRUE(intruder->wait_connected());
    const auto as_target = codec::encode(result_of(target, site().sleeper_boot, 1000, id));
    EXPECT_TRUE(intruder->publish_acked(topic_of(target, Channel::kResult), as_target));
    EXPECT_TRUE(intruder->publish_acked(topic_of(me, Channel::kResult), as_target));
    // In its own name, with the victim's command id.
    const auto as_me = codec::encode(result_of(me, site().intruder_boot, ++site().intruder_seq, id));
    EXPECT_TRUE(intruder->publish_acked(topic_of(me, Channel::kResult), as_me));
    EXPECT_TRUE(intruder_marker_arrives(*intruder));
    auto view = command_view(id);
    EXPECT_NE(view.state(), v1::COMMAND_STATE_COMPLETED) << view.DebugString();
  }
  {
    SCOPED_TRACE("another edge's login on the cloud broker");
    auto other_edge = other_edge_on_cloud("edge-2-result");
    const uint64_t batch_id = ++site().edge_batch_id;
    EXPECT_TRUE(other_edge_forgery_refused(
        *other_edge, batch_frame(kOtherEdge, kSite, batch_id, {result_of(target, site().sleeper_boot, 1001, id)}),
        batch_id));
    auto view = command_view(id);
    EXPECT_NE(view.state(), v1::COMMAND_STATE_COMPLETED) << view.DebugString();
  }
}

// "A forged 50,000-item batch from an invented edge was stored in 0.19 s."
TEST_F(AttackTest, AForgedBatchFromAnInventedEdgeStoresNothing) {
  const std::string invented = "edge-invented";
  std::vector<v1::Envelope> items;
  items.reserve(50'000);
  for (int i = 1; i <= 50'000; ++i) {
    items.push_back(event_of(poster("invented-" + std::to_string(i % 500), "site-invented"), "0000000000000001",
                             static_cast<uint64_t>(i), "forged"));
  }
  const std::string frame = batch_frame(invented, "site-invented", 50'000, items);
  const uint32_t total_before = devices_total();
  const double stored = cloud_metric("tw_cloud_events_stored_total");
  const double mismatched = cloud_metric("tw_cloud_rejects_total", {"unit=\"frame\"", "reason=\"identity_mismatch\""});
  ASSERT_GE(stored, 0);

  auto other_edge = other_edge_on_cloud("edge-2-invented");
  auto recipient = on_cloud(site().recipient, "rcp-invented");
  ASSERT_TRUE(recipient->wait_connected());
  // On the invented edge's topic, as another edge and as a push app; on edge-2's own topic
  // in the invented edge's name.
  EXPECT_TRUE(other_edge->publish_acked(edge_topic_of(invented, EdgeChannel::kBatch), frame));
  EXPECT_TRUE(recipient->publish_acked(edge_topic_of(invented, EdgeChannel::kBatch), frame));
  EXPECT_TRUE(other_edge->publish_acked(edge_topic_of(kOtherEdge, EdgeChannel::kBatch), frame));
  ASSERT_TRUE(other_edge_marker_acked(*other_edge));  // the cloud is through with edge-2's frames

  EXPECT_GE(cloud_metric("tw_cloud_rejects_total", {"unit=\"frame\"", "reason=\"identity_mismatch\""}),
            mismatched + 1);
  EXPECT_EQ(cloud_metric("tw_cloud_events_stored_total"), stored);
  EXPECT_EQ(devices_total(), total_before);
  EXPECT_EQ(device_status("invented-1"), 404);
  auto listed = call("GET", "/v1/devices?site=site-invented");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(from_json<v1::DeviceList>(listed->body).devices_size(), 0) << listed->body;
}

// "Over HTTP, with no credentials: a command reached a device, a merchant was renamed and
// moved, an order was cancelled, a recipient deleted." Tried with no token, a forged one,
// and the tokens an outsider could hold: another merchant's, another customer's, an
// installer's (which reads the fleet).
TEST_F(AttackTest, WithoutTheOwnersTokenNoCommandRunsAndNoMerchantOrderOrRecipientChanges) {
  const auto target = victim(5);
  const char* shop = R"({"merchant_id":"m-victim","name":"Victim Noodles","lat":31.2304,"lon":121.4737})";
  ASSERT_EQ(status_of("POST", "/v1/merchants", shop, stack().operator_token()), 201);
  const char* order =
      R"({"order_id":"o-victim","merchant_id":"m-victim","dropoff_lat":31.24,"dropoff_lon":121.48,"customer_id":"c-victim"})";
  ASSERT_EQ(status_of("POST", "/v1/orders", order, stack().operator_token()), 201);
  ASSERT_EQ(status_of("PUT", "/v1/recipients/c-victim", R"({"kind":"RECIPIENT_KIND_CUSTOMER"})",
                      stack().operator_token()) / 100,
            2);
  auto other_merchant = stack().make_token("m-attacker", "merchant");
  auto other_customer = stack().make_token("c-attacker", "customer");
  auto installer = stack().make_token("i-attacker", "installer");
  ASSERT_TRUE(other_merchant.ok() && other_customer.ok() && installer.ok());
  const std::string forged = "tw_aaaaaaaaaaaa_" + std::string(43, 'A');
  const uint64_t answered = commands_answered();

  const char* moved = R"({"merchant_id":"m-victim","name":"Pwned","lat":0.5,"lon":0.5})";
  for (const std::string& bearer : {std::string(), forged}) {
    EXPECT_EQ(status_of("POST", "/v1/devices/" + target.device_id + "/commands", R"({"name":"reboot"})", bearer), 401);
    EXPECT_EQ(status_of("POST", "/v1/merchants", moved, bearer), 401);
    EXPECT_EQ(status_of("POST", "/v1/orders/o-victim/cancel", "", bearer), 401);
    EXPECT_EQ(status_of("DELETE", "/v1/recipients/c-victim", "", bearer), 401);
  }
  EXPECT_EQ(status_of("POST", "/v1/devices/" + target.device_id + "/commands", R"({"name":"reboot"})", *installer),
            403);
  EXPECT_EQ(status_of("POST", "/v1/merchants", moved, *other_merchant), 403);
  EXPECT_EQ(status_of("POST", "/v1/orders/o-victim/cancel", "", *other_merchant), 404);
  EXPECT_EQ(status_of("DELETE", "/v1/recipients/c-victim", "", *other_customer), 404);

  // The device: a real command after the attempts completes, and is the only one it ran.
  ASSERT_TRUE(wait_completed(command(target.device_id, R"({"name":"set_brightness","args":{"pct":"70"}})")));
  EXPECT_EQ(commands_answered(), answered + 1);
  // The order is not cancelled, the recipient is there.
  auto o = call("GET", "/v1/orders/o-victim");
  ASSERT_TRUE(o.ok() && o->status == 200);
  EXPECT_NE(from_json<v1::OrderView>(o->body).state(), v1::ORDER_STATE_CANCELLED) << o->body;
  EXPECT_EQ(call("GET", "/v1/recipients/c-victim")->status, 200);
  // The merchant did not move: a new order is picked up where the merchant really is ...
  const char* next = R"({"order_id":"o-victim-2","merchant_id":"m-victim","dropoff_lat":31.25,"dropoff_lon":121.49})";
  auto placed = call("POST", "/v1/orders", next);
  ASSERT_TRUE(placed.ok() && placed->status == 201);
  auto view = from_json<v1::OrderView>(placed->body);
  EXPECT_DOUBLE_EQ(view.pickup_lat(), 31.2304);
  EXPECT_DOUBLE_EQ(view.pickup_lon(), 121.4737);
  // ... and was not renamed: the API shows no merchant's name, so the audit log (every
  // write a token got through the gate, with its answer) shows that no write to a merchant
  // succeeded but the operator's.
  auto audit = call("GET", "/v1/audit?limit=1000");
  ASSERT_TRUE(audit.ok() && audit->status == 200);
  const auto entries = from_json<v1::AuditList>(audit->body);
  for (const auto& e : entries.entries()) {
    if (e.route() != "/v1/merchants" || e.status() >= 400) continue;
    EXPECT_EQ(e.principal(), "stack-operator") << e.DebugString();
  }
}

// "A recipient's webhook URL pointing at a loopback or link-local address made the cloud
// POST there (SSRF)." The sender's own tests prove it refuses such targets after DNS,
// without connecting (webhook_test.cpp, push_webhook_delivery_test.cpp); here the real
// cloud, configured as the Stack ships it, with a listener on loopback that must hear
// nothing while a recipient tries every spelling of an internal address for itself.
TEST_F(AttackTest, AWebhookAtALoopbackOrLinkLocalAddressIsNeverCalled) {
  std::atomic<int> heard{0};
  http::Router router;
  ASSERT_TRUE(router
                  .add("POST", "/hook", http::Access::anyone(),
                       [&](const http::Request&) {
                         heard.fetch_add(1);
                         return http::Response::json(200, "{}");
                       })
                  .ok());
  auto listener = http::Server::start(http::ServerOptions{}, std::move(router));
  ASSERT_TRUE(listener.ok());
  const std::string port = std::to_string((*listener)->port());
  auto token = stack().make_token("c-ssrf", "customer");
  ASSERT_TRUE(token.ok());
  ASSERT_EQ(status_of("PUT", "/v1/recipients/c-ssrf", R"({"kind":"RECIPIENT_KIND_CUSTOMER"})", *token) / 100, 2);

  for (const std::string& url : std::vector<std::string>{"http://127.0.0.1:" + port + "/hook", "http://localhost:" + port + "/hook", "http://127.1:" + port + "/hook",
        "http://[::ffff:127.0.0.1]:" + port + "/hook", "http://169.254.169.254/latest/meta-data"}) {
    auto r = call("PUT", "/v1/recipients/c-ssrf",
                  R"({"kind":"RECIPIENT_KIND_CUSTOMER","webhook_url":")" + url + R"("})", *token);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 400) << url << ": " << r->body;
    EXPECT_NE(r->body.find("webhook_target_refused"), std::string::npos) << url << ": " << r->body;
  }
  auto record = call("GET", "/v1/recipients/c-ssrf", "", *token);
  ASSERT_TRUE(record.ok() && record->status == 200);
  EXPECT_EQ(from_json<v1::Recipient>(record->body).webhook_url(), "") << record->body;
  // A notification to it goes out (by MQTT, the only way left) and the listener hears nothing.
  auto pushed = call("POST", "/v1/push", R"({"recipient_ids":["c-ssrf"],"title":"t","body":"b"})");
  ASSERT_TRUE(pushed.ok() && pushed->status == 202) << (pushed.ok() ? pushed->body : "");
  const auto nid = from_json<v1::PushAccepted>(pushed->body).notification_id();
  ASSERT_TRUE(process::wait_until(
      every_50ms([&] {
        auto v = call("GET", "/v1/push/" + nid);
        if (!v.ok() || v->status != 200) return false;
        auto view = from_json<v1::NotificationView>(v->body);
        return view.deliveries_size() == 1 && view.deliveries(0).state() != v1::DELIVERY_STATE_QUEUED;
      }),
      kWaitMs));
  EXPECT_EQ(heard.load(), 0);
}

}  // namespace
}  // namespace tidewire::testing

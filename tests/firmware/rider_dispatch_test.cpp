// The simulated rider's side of dispatch (docs/dispatch.md, "On the wire"): offers in,
// answers out, pickup and delivery reported with positions at the right simulated time.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "sim/sim_hal.hpp"
#include "tests/fakes/fake_transport.hpp"
#include "tidewire/firmware/device_session.hpp"
#include "tidewire/firmware/geo.hpp"
#include "tidewire/firmware/memory_outbox.hpp"
#include "tidewire/firmware/offer.hpp"
#include "tidewire/protocols/codec.hpp"

namespace tidewire::firmware {
namespace {

constexpr double kLat = 31.2304, kLon = 121.4737;

struct Place {
  double lat, lon;
};
Place north_of(Place p, double m) {
  Place out{};
  geo::destination(p.lat, p.lon, 0, m, out.lat, out.lon);
  return out;
}

SimHalOptions dispatch_options() {
  SimHalOptions o;
  o.event_interval_ms = 0;
  o.rider_roams = false;
  o.rider_speed_mps = 5;
  o.rider_start_lat = kLat;
  o.rider_start_lon = kLon;
  o.rider_accept_probability = 1.0;
  return o;
}

v1::OfferLeg leg(const std::string& order, Place pickup, Place dropoff, int64_t ready_ms = 0) {
  v1::OfferLeg l;
  l.set_order_id(order);
  l.set_pickup_lat(pickup.lat);
  l.set_pickup_lon(pickup.lon);
  l.set_dropoff_lat(dropoff.lat);
  l.set_dropoff_lon(dropoff.lon);
  l.set_ready_ms(ready_ms);
  return l;
}

v1::Command offer_command(const std::string& offer_id, std::vector<v1::OfferLeg> legs, int64_t expires_ms = 0) {
  v1::Offer o;
  o.set_offer_id(offer_id);
  o.set_rider_id("r1");
  o.set_expires_ms(expires_ms);
  o.set_state(v1::OFFER_STATE_PENDING);
  for (auto& l : legs) *o.add_legs() = l;
  v1::Command c;
  c.set_command_id("cmd-" + offer_id);
  c.set_device_id("r1");
  c.set_name(offer::kOfferCommand);
  c.set_deadline_ms(expires_ms);
  c.set_body(codec::encode(o));
  return c;
}

v1::OfferAnswer answer_of(const CommandReply& reply) {
  v1::OfferAnswer a;
  EXPECT_TRUE(a.ParseFromString(reply.body));
  return a;
}

double attr(const HalEvent& e, const std::string& key) {
  return std::stod(e.attributes.at(key));
}

struct Rider {
  explicit Rider(SimHalOptions options = dispatch_options(), uint64_t seed = 3) : random(seed) {
    hal = make_sim_hal(v1::DEVICE_KIND_RIDER, options, clock, random);
    hal->poll(events);
  }
  CommandReply run(const v1::Command& c) { return hal->execute(c, events); }
  CommandReply cancel(const std::string& order) {
    v1::Command c;
    c.set_command_id("cancel-" + order);
    c.set_name(offer::kCancelCommand);
    (*c.mutable_args())["order_id"] = order;
    return hal->execute(c, events);
  }
  // Advances one second at a time until an event of `type` appears; returns its index.
  std::optional<size_t> until(const std::string& type, int64_t max_s) {
    for (int64_t s = 0; s < max_s; ++s) {
      clock.advance_ms(1000);
      size_t before = events.size();
      hal->poll(events);
      for (size_t i = before; i < events.size(); ++i)
        if (events[i].type == type) return i;
    }
    return std::nullopt;
  }
  std::vector<std::string> carried() const {
    auto r = hal->status().rider();
    return {r.carried_order_ids().begin(), r.carried_order_ids().end()};
  }

  ManualClock clock;
  SeededRandom random;
  DeviceHalPtr hal;
  std::vector<HalEvent> events;
};

TEST(SimRiderDispatch, AnswersOffersDeterministicallyWithAnOfferAnswerBody) {
  Place home{kLat, kLon};
  auto o = dispatch_options();
  o.rider_accept_probability = 0.5;
  std::vector<bool> a_answers, b_answers;
  for (uint64_t seed : {1, 2, 3, 4, 5, 6, 7, 8}) {
    Rider a(o, seed), b(o, seed);
    auto cmd = offer_command("of-" + std::to_string(seed), {leg("o1", north_of(home, 500), north_of(home, 900))});
    auto ra = a.run(cmd), rb = b.run(cmd);
    ASSERT_EQ(ra.outcome, v1::COMMAND_OUTCOME_OK) << ra.message;
    EXPECT_EQ(ra.body, rb.body);
    auto answer = answer_of(ra);
    EXPECT_EQ(answer.offer_id(), "of-" + std::to_string(seed));
    EXPECT_EQ(answer.rider_id(), "r1");
    a_answers.push_back(answer.accept());
  }
  // At p = 0.5 over eight seeds both answers occur.
  EXPECT_NE(std::count(a_answers.begin(), a_answers.end(), true), 0);
  EXPECT_NE(std::count(a_answers.begin(), a_answers.end(), false), 0);

  o.rider_accept_probability = 0.0;
  Rider never(o);
  EXPECT_FALSE(answer_of(never.run(offer_command("of-x", {leg("o1", north_of(home, 500), home)}))).accept());
}

TEST(SimRiderDispatch, DeclinesOffShiftNotTakingOrdersAndOverCapacity) {
  Place home{kLat, kLon};
  auto o = dispatch_options();
  ManualClock probe;
  o.shift_on_wall_ms = probe.wall_ms() + 3'600'000;  // shift starts in an hour
  o.shift_off_wall_ms = probe.wall_ms() + 7'200'000;
  Rider early(o);
  EXPECT_FALSE(early.hal->status().rider().available());
  auto r = early.run(offer_command("of-1", {leg("o1", north_of(home, 500), home)}));
  EXPECT_FALSE(answer_of(r).accept());
  EXPECT_EQ(r.message, "off shift");
  early.until("no-such-event", 3601);
  EXPECT_TRUE(early.hal->status().rider().available());
  EXPECT_EQ(early.events.back().type, "shift.started");
  EXPECT_TRUE(answer_of(early.run(offer_command("of-2", {leg("o1", north_of(home, 500), home)}))).accept());

  o = dispatch_options();
  o.rider_max_orders = 1;
  Rider full(o);
  EXPECT_TRUE(answer_of(full.run(offer_command("of-1", {leg("o1", north_of(home, 500), home)}))).accept());
  r = full.run(offer_command("of-2", {leg("o2", north_of(home, 600), home)}));
  EXPECT_FALSE(answer_of(r).accept());
  EXPECT_NE(r.message.find("carrying 1"), std::string::npos) << r.message;

  Rider paused;
  v1::Command off;
  off.set_name("set_available");
  (*off.mutable_args())["available"] = "false";
  ASSERT_EQ(paused.run(off).outcome, v1::COMMAND_OUTCOME_OK);
  EXPECT_FALSE(answer_of(paused.run(offer_command("of-1", {leg("o1", north_of(home, 500), home)}))).accept());
}

TEST(SimRiderDispatch, RidesToPickupWaitsForReadyThenDeliversWithPositions) {
  Place home{kLat, kLon};
  Place pickup = north_of(home, 1000);     // 200 s at 5 m/s
  Place dropoff = north_of(pickup, 1500);  // 300 s
  Rider r;
  int64_t start = r.clock.wall_ms();
  // Ready 600 s from now: later than arrival + service (200 + 240 s), so readiness decides.
  auto reply = r.run(offer_command("of-1", {leg("o1", pickup, dropoff, start + 600'000)}, start + 30'000));
  ASSERT_TRUE(answer_of(reply).accept()) << reply.message;
  EXPECT_FALSE(r.hal->status().rider().available());
  EXPECT_EQ(r.carried(), std::vector<std::string>{"o1"});

  auto picked = r.until(offer::kPickedUp, 700);
  ASSERT_TRUE(picked);
  int64_t picked_at_s = (r.clock.wall_ms() - start) / 1000;
  EXPECT_GE(picked_at_s, 600);
  EXPECT_LE(picked_at_s, 601);
  const HalEvent& p = r.events[*picked];
  EXPECT_EQ(p.priority, v1::PRIORITY_HIGH);
  EXPECT_EQ(p.attributes.at("order_id"), "o1");
  EXPECT_LT(geo::distance_m(attr(p, "lat"), attr(p, "lon"), pickup.lat, pickup.lon), 5);
  EXPECT_EQ(r.carried(), std::vector<std::string>{"o1"});
  EXPECT_FALSE(r.hal->status().rider().available());

  auto delivered = r.until(offer::kDelivered, 700);
  ASSERT_TRUE(delivered);
  int64_t delivered_at_s = (r.clock.wall_ms() - start) / 1000;
  EXPECT_GE(delivered_at_s, 600 + 300 + 240);
  EXPECT_LE(delivered_at_s, 600 + 300 + 240 + 1);
  const HalEvent& d = r.events[*delivered];
  EXPECT_EQ(d.attributes.at("order_id"), "o1");
  EXPECT_LT(geo::distance_m(attr(d, "lat"), attr(d, "lon"), dropoff.lat, dropoff.lon), 5);
  EXPECT_TRUE(r.carried().empty());
  EXPECT_TRUE(r.hal->status().rider().available());
  // Idle and not roaming: it waits where it delivered.
  r.until("no-such-event", 600);
  auto s = r.hal->status().rider();
  EXPECT_LT(geo::distance_m(s.lat(), s.lon(), dropoff.lat, dropoff.lon), 1);
}

TEST(SimRiderDispatch, ServiceTimeDecidesWhenTheOrderIsAlreadyReadyAndBundlesPickUpFirst) {
  Place home{kLat, kLon};
  auto o = dispatch_options();
  o.pickup_service_s = 60;
  o.dropoff_service_s = 30;
  Rider r(o);
  int64_t start = r.clock.wall_ms();
  Place m = north_of(home, 500);  // 100 s
  Place c1 = north_of(m, 500), c2 = north_of(m, 1000);
  ASSERT_TRUE(answer_of(r.run(offer_command("of-1", {leg("a", m, c1), leg("b", m, c2)}))).accept());
  EXPECT_EQ(r.carried(), (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(r.until(offer::kPickedUp, 400));
  EXPECT_NEAR((r.clock.wall_ms() - start) / 1000, 160, 1);
  // The second pickup is at the same place: another service time.
  ASSERT_TRUE(r.until(offer::kPickedUp, 400));
  EXPECT_NEAR((r.clock.wall_ms() - start) / 1000, 220, 1);
  ASSERT_TRUE(r.until(offer::kDelivered, 400));
  EXPECT_NEAR((r.clock.wall_ms() - start) / 1000, 220 + 100 + 30, 1);
  EXPECT_EQ(r.carried(), std::vector<std::string>{"b"});
  ASSERT_TRUE(r.until(offer::kDelivered, 400));
  EXPECT_NEAR((r.clock.wall_ms() - start) / 1000, 350 + 100 + 30, 1);
  EXPECT_TRUE(r.carried().empty());
}

TEST(SimRiderDispatch, CancelDropsTheOrderAndItsStops) {
  Place home{kLat, kLon};
  Rider r;
  ASSERT_TRUE(answer_of(r.run(offer_command("of-1", {leg("o1", north_of(home, 1000), home)}))).accept());
  r.until("no-such-event", 60);
  auto reply = r.cancel("o1");
  EXPECT_EQ(reply.outcome, v1::COMMAND_OUTCOME_OK);
  EXPECT_EQ(reply.output.at("dropped"), "true");
  EXPECT_TRUE(r.carried().empty());
  EXPECT_TRUE(r.hal->status().rider().available());
  EXPECT_FALSE(r.until(offer::kPickedUp, 1200));
  // Cancelling again (a re-sent cancel) is harmless.
  EXPECT_EQ(r.cancel("o1").output.at("dropped"), "false");
  v1::Command bad;
  bad.set_name(offer::kCancelCommand);
  EXPECT_EQ(r.hal->execute(bad, r.events).outcome, v1::COMMAND_OUTCOME_FAILED);
}

TEST(SimRiderDispatch, AMalformedOfferBodyFailsWithAClearMessage) {
  Place home{kLat, kLon};
  Rider r;
  auto cmd = offer_command("of-1", {leg("o1", north_of(home, 500), home)});
  cmd.set_body("\xff\xff\xff garbage");
  auto reply = r.run(cmd);
  EXPECT_EQ(reply.outcome, v1::COMMAND_OUTCOME_FAILED);
  EXPECT_NE(reply.message.find("offer body"), std::string::npos) << reply.message;
  EXPECT_TRUE(reply.body.empty());

  cmd.set_body(std::string(codec::kMaxCommandBytes + 1, '\0'));
  EXPECT_EQ(r.run(cmd).outcome, v1::COMMAND_OUTCOME_FAILED);
  cmd.clear_body();
  EXPECT_EQ(r.run(cmd).outcome, v1::COMMAND_OUTCOME_FAILED);
  // Decodes, but a leg without an order id or a drop-off is refused too.
  auto no_dropoff = leg("o1", north_of(home, 500), {0, 0});
  reply = r.run(offer_command("of-2", {no_dropoff}));
  EXPECT_EQ(reply.outcome, v1::COMMAND_OUTCOME_FAILED);
  EXPECT_NE(reply.message.find("drop-off"), std::string::npos) << reply.message;
  EXPECT_EQ(r.run(offer_command("of-3", {})).outcome, v1::COMMAND_OUTCOME_FAILED);
  EXPECT_TRUE(r.carried().empty());
}

// Through a DeviceSession: the answer is the command's result body, a duplicate offer
// gets the remembered answer, a malformed one is FAILED and counted.
TEST(SimRiderDispatch, SessionAnswersOffersOnceAndRemembersTheAnswer) {
  ManualClock clock;
  SeededRandom random(9), hal_random(4);
  MetricsRegistry metrics;
  tidewire::testing::FakeTransport transport;
  MemoryOutbox outbox({}, clock, metrics);
  auto o = dispatch_options();
  o.rider_accept_probability = 0.5;
  auto hal = make_sim_hal(v1::DEVICE_KIND_RIDER, o, clock, hal_random);
  SessionOptions so;
  so.address = {"s1", v1::DEVICE_KIND_RIDER, "r1"};
  so.boot_id = "boot-1";
  auto session = DeviceSession::create(so, {transport, outbox, *hal, clock, random, metrics});
  ASSERT_TRUE(session.ok()) << session.error().describe();
  ASSERT_TRUE((*session)->start().ok());
  transport.set_connected(true);

  const std::string cmd_topic = "tw/v1/site/s1/rider/r1/cmd";
  const std::string result_topic = "tw/v1/site/s1/rider/r1/result";
  Place home{kLat, kLon};
  auto cmd = offer_command("of-1", {leg("o1", north_of(home, 500), home)}, clock.wall_ms() + 30'000);
  transport.deliver(cmd_topic, codec::encode(cmd));
  // Re-delivered many times: the coin is not tossed again.
  for (int i = 0; i < 5; ++i) transport.deliver(cmd_topic, codec::encode(cmd));
  auto results = transport.sent_on(result_topic);
  ASSERT_GE(results.size(), 1u);
  std::set<std::string> bodies;
  for (const auto& m : results) {
    v1::Envelope e;
    ASSERT_TRUE(e.ParseFromString(m.payload));
    EXPECT_EQ(e.result().command_id(), "cmd-of-1");
    EXPECT_EQ(e.result().outcome(), v1::COMMAND_OUTCOME_OK);
    v1::OfferAnswer a;
    ASSERT_TRUE(a.ParseFromString(e.result().body()));
    EXPECT_EQ(a.offer_id(), "of-1");
    bodies.insert(e.result().body());
  }
  EXPECT_EQ(bodies.size(), 1u);
  EXPECT_EQ(metrics.counter_total("tw_agent_duplicate_commands_total"), 5u);

  auto bad = offer_command("of-2", {leg("o2", north_of(home, 500), home)});
  bad.set_body("not an offer \xff");
  transport.deliver(cmd_topic, codec::encode(bad));
  EXPECT_EQ(metrics.counter_value("tw_agent_commands_total", {{"outcome", "failed"}}), 1u);
}

}  // namespace
}  // namespace tidewire::firmware

// DeviceSession against FakeTransport, ManualClock and a scripted HAL: every rule of the
// device side of docs/protocol.md, on simulated time.
#include "tidewire/firmware/device_session.hpp"

#include <gtest/gtest.h>

#include "tests/fakes/fake_hal.hpp"
#include "tests/fakes/fake_transport.hpp"
#include "tidewire/firmware/memory_outbox.hpp"
#include "tidewire/protocols/codec.hpp"

namespace tidewire::firmware {
namespace {

constexpr const char* kBase = "tw/v1/site/s1/rider/r1/";

class DeviceSessionTest : public ::testing::Test {
 protected:
  void SetUp() override { create(); }

  void create(OutboxLimits limits = {}) {
    outbox = std::make_unique<MemoryOutbox>(limits, clock, metrics);
    SessionOptions o;
    o.address = {"s1", v1::DEVICE_KIND_RIDER, "r1"};
    o.boot_id = "boot-1";
    o.connect.reconnect_min_ms = 100;
    o.connect.reconnect_max_ms = 1000;
    o.status_interval_ms = 5000;
    o.status_min_interval_ms = 1000;
    o.poll_interval_ms = 500;
    o.resend_timeout_ms = 10'000;
    auto s = DeviceSession::create(o, {transport, *outbox, hal, clock, random, metrics});
    ASSERT_TRUE(s.ok()) << s.error().describe();
    session = std::move(*s);
  }

  void start_online() {
    ASSERT_TRUE(session->start().ok());
    transport.set_connected(true);
    ASSERT_TRUE(session->online());
  }

  // Advances simulated time in tick-sized steps, as the agent's timer would.
  void run_for(int64_t ms, int64_t step = 100) {
    for (int64_t t = 0; t < ms; t += step) {
      clock.advance_ms(step);
      session->tick();
    }
  }

  std::vector<v1::Envelope> sent(const std::string& channel) const {
    std::vector<v1::Envelope> out;
    for (const auto& m : transport.sent_on(kBase + channel)) {
      v1::Envelope e;
      EXPECT_TRUE(e.ParseFromString(m.payload));
      auto topic = topics::parse_device_topic(m.topic);
      EXPECT_TRUE(topic.ok());
      // Everything the device sends passes the edge's own checks.
      auto checked = codec::decode_device_message(*topic, m.payload);
      EXPECT_TRUE(checked.ok()) << checked.error().describe();
      out.push_back(e);
    }
    return out;
  }

  std::vector<uint64_t> event_seqs() const {
    std::vector<uint64_t> out;
    for (const auto& e : sent("event")) out.push_back(e.seq());
    return out;
  }

  void record(const std::string& type, v1::Priority p = v1::PRIORITY_NORMAL) {
    ASSERT_TRUE(session->record_event({type, p, {{"k", "v"}}}).ok());
  }

  void ack(uint64_t up_to, const std::string& device = "r1") {
    v1::DeviceAck a;
    a.set_device_id(device);
    a.set_up_to_seq(up_to);
    transport.deliver(std::string(kBase) + "ack", codec::encode(a));
  }

  void command(const std::string& id, const std::string& name, int64_t deadline_ms = 0,
               std::map<std::string, std::string> args = {}) {
    v1::Command c;
    c.set_command_id(id);
    c.set_device_id("r1");
    c.set_name(name);
    c.set_deadline_ms(deadline_ms);
    for (const auto& [k, v] : args) (*c.mutable_args())[k] = v;
    transport.deliver(std::string(kBase) + "cmd", codec::encode(c));
  }

  uint64_t rejects(const std::string& reason) const {
    return metrics.counter_value("tw_agent_rejects_total", {{"reason", reason}});
  }

  ManualClock clock;
  SeededRandom random{42};
  MetricsRegistry metrics;
  tidewire::testing::FakeTransport transport;
  testing::FakeHal hal;
  std::unique_ptr<MemoryOutbox> outbox;
  std::unique_ptr<DeviceSession> session;
};

TEST_F(DeviceSessionTest, RegistersAWillAndPublishesOnlineWithTheSameSessionSeq) {
  ASSERT_TRUE(session->start().ok());
  ASSERT_TRUE(transport.options.will.has_value());
  EXPECT_EQ(transport.options.client_id, "r1");
  const auto& will = *transport.options.will;
  EXPECT_EQ(will.topic, std::string(kBase) + "presence");
  EXPECT_EQ(will.qos, 1);
  EXPECT_FALSE(will.retain);
  v1::Envelope w;
  ASSERT_TRUE(w.ParseFromString(will.payload));
  EXPECT_FALSE(w.presence().online());
  EXPECT_EQ(w.presence().session_seq(), 1u);
  EXPECT_EQ(w.boot_id(), "boot-1");

  transport.set_connected(true);
  auto presence = sent("presence");
  ASSERT_EQ(presence.size(), 1u);
  EXPECT_TRUE(presence[0].presence().online());
  EXPECT_EQ(presence[0].presence().session_seq(), 1u);
  EXPECT_EQ(transport.sent[0].message.qos, 1);
  // Subscribed to its own command and ack topics.
  EXPECT_NE(std::find(transport.subscriptions.begin(), transport.subscriptions.end(), std::string(kBase) + "cmd"),
            transport.subscriptions.end());
  EXPECT_NE(std::find(transport.subscriptions.begin(), transport.subscriptions.end(), std::string(kBase) + "ack"),
            transport.subscriptions.end());
}

TEST_F(DeviceSessionTest, EveryConnectionGetsAFreshSessionSeqAndWill) {
  start_online();
  transport.set_connected(false);
  EXPECT_FALSE(session->online());
  run_for(1000);  // past the jittered backoff: connect() again, with a new will
  v1::Envelope w;
  ASSERT_TRUE(w.ParseFromString(transport.options.will->payload));
  EXPECT_EQ(w.presence().session_seq(), 2u);
  transport.set_connected(true);
  auto presence = sent("presence");
  ASSERT_EQ(presence.size(), 2u);
  EXPECT_EQ(presence[1].presence().session_seq(), 2u);
  EXPECT_TRUE(presence[1].presence().online());
  EXPECT_EQ(metrics.counter_total("tw_agent_connections_total"), 2u);
}

TEST_F(DeviceSessionTest, ATransportReconnectWithAUsedWillIsRenewedNotUsed) {
  start_online();
  // The backend reconnects on its own before the session's next tick: that connection
  // carries session 1's will, which may already have been published by the broker.
  transport.set_connected(false);
  transport.set_connected(true);
  EXPECT_FALSE(session->online());
  EXPECT_EQ(sent("presence").size(), 1u);  // no second "online" under session 1
  EXPECT_EQ(metrics.counter_total("tw_agent_stale_reconnects_total"), 1u);
  session->tick();  // disconnects the stale connection (cleanly: no will) ...
  EXPECT_FALSE(transport.is_connected());
  run_for(1000);  // ... and connects with session 2
  transport.set_connected(true);
  ASSERT_TRUE(session->online());
  auto presence = sent("presence");
  ASSERT_EQ(presence.size(), 2u);
  EXPECT_EQ(presence[1].presence().session_seq(), 2u);
}

TEST_F(DeviceSessionTest, StatusIsRateLimitedAndSentEarlyOnSignificantChange) {
  start_online();
  EXPECT_EQ(sent("status").size(), 1u);  // at once on connect
  EXPECT_EQ(transport.sent_on(std::string(kBase) + "status")[0].qos, 0);
  run_for(4900);
  EXPECT_EQ(sent("status").size(), 1u);
  run_for(100);
  EXPECT_EQ(sent("status").size(), 2u);  // the regular interval

  // A significant change right after a status waits for the minimum interval...
  hal.set_available(true);
  run_for(500);
  EXPECT_EQ(sent("status").size(), 2u);
  // ...then goes out before the regular interval would.
  run_for(600);
  ASSERT_EQ(sent("status").size(), 3u);
  EXPECT_TRUE(sent("status")[2].status().rider().available());
  EXPECT_EQ(sent("status")[2].seq(), 0u);  // telemetry is latest-wins: no seq

  // An insignificant change waits for the interval.
  hal.set_battery(79);
  run_for(3000);
  EXPECT_EQ(sent("status").size(), 3u);
}

TEST_F(DeviceSessionTest, NoStatusWhileOffline) {
  ASSERT_TRUE(session->start().ok());
  run_for(12'000);
  EXPECT_TRUE(sent("status").empty());
}

TEST_F(DeviceSessionTest, PublishesEventsInSeqOrderWithTheOutboxFloor) {
  start_online();
  record("a");
  record("b");
  record("c");
  auto events = sent("event");
  ASSERT_EQ(events.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(events[i].seq(), i + 1);
    EXPECT_EQ(events[i].event().outbox_floor_seq(), 1u);
    EXPECT_EQ(events[i].boot_id(), "boot-1");
    EXPECT_EQ(events[i].event().attributes().at("k"), "v");
  }
  EXPECT_EQ(transport.sent_on(std::string(kBase) + "event")[0].qos, 1);
  ack(2);
  EXPECT_EQ(outbox->floor_seq(), 3u);
  record("d");
  events = sent("event");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[3].seq(), 4u);
  EXPECT_EQ(events[3].event().outbox_floor_seq(), 3u);
}

TEST_F(DeviceSessionTest, HalEventsGoThroughTheOutbox) {
  start_online();
  hal.queued.push_back({"order.picked_up", v1::PRIORITY_HIGH, {{"order_id", "o-1"}}});
  run_for(500);
  auto events = sent("event");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event().type(), "order.picked_up");
  EXPECT_EQ(events[0].event().priority(), v1::PRIORITY_HIGH);
}

TEST_F(DeviceSessionTest, KeepsWithinTheInFlightWindowAndCarriesOnAfterPubacks) {
  transport.max_inflight = 2;
  start_online();
  transport.ack();  // the online presence
  for (int i = 0; i < 5; ++i) record("e" + std::to_string(i));
  EXPECT_EQ(event_seqs(), (std::vector<uint64_t>{1, 2}));
  EXPECT_GT(metrics.counter_total("tw_agent_publish_deferred_total"), 0u);
  transport.ack(1);  // PUBACK for seq 1 frees a slot
  EXPECT_EQ(event_seqs(), (std::vector<uint64_t>{1, 2, 3}));
  transport.ack(2);
  transport.ack(2);
  EXPECT_EQ(event_seqs(), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

TEST_F(DeviceSessionTest, EventsRecordedOfflineGoOutOnConnect) {
  ASSERT_TRUE(session->start().ok());
  record("a");
  record("b");
  EXPECT_TRUE(sent("event").empty());
  transport.set_connected(true);
  EXPECT_EQ(event_seqs(), (std::vector<uint64_t>{1, 2}));
}

TEST_F(DeviceSessionTest, ResendsUnackedRowsAfterTheTimeout) {
  start_online();
  record("a");
  record("b");
  transport.ack();  // PUBACKs: the broker has them, the edge has not acked
  run_for(9900);
  EXPECT_EQ(event_seqs(), (std::vector<uint64_t>{1, 2}));
  run_for(200);
  EXPECT_EQ(event_seqs(), (std::vector<uint64_t>{1, 2, 1, 2}));
  EXPECT_EQ(metrics.counter_total("tw_agent_resent_total"), 2u);
  EXPECT_EQ(metrics.counter_total("tw_agent_resend_timeouts_total"), 1u);
  // The edge acked part of it: only the rest goes again next time.
  ack(1);
  transport.ack();
  run_for(10'100);
  EXPECT_EQ(event_seqs(), (std::vector<uint64_t>{1, 2, 1, 2, 2}));
}

TEST_F(DeviceSessionTest, ResendsUnackedRowsAfterEveryReconnect) {
  start_online();
  record("a");
  record("b");
  ack(1);
  transport.set_connected(false);
  run_for(1000);
  transport.set_connected(true);
  EXPECT_EQ(event_seqs(), (std::vector<uint64_t>{1, 2, 2}));
  EXPECT_EQ(sent("event")[2].event().outbox_floor_seq(), 2u);
}

TEST_F(DeviceSessionTest, StopsResendingOnceAcked) {
  start_online();
  record("a");
  record("b");
  ack(2);
  EXPECT_EQ(outbox->stats().rows, 0u);
  EXPECT_EQ(session->unacked(), 0u);
  transport.ack();
  run_for(25'000);
  transport.set_connected(false);
  run_for(1000);
  transport.set_connected(true);
  EXPECT_EQ(event_seqs(), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(metrics.counter_total("tw_agent_resent_total"), 0u);
}

TEST_F(DeviceSessionTest, AnAckBeyondTheLastSeqOnlyAcksWhatExists) {
  start_online();
  record("a");
  ack(99);
  EXPECT_EQ(outbox->stats().rows, 0u);
  record("b");
  EXPECT_EQ(event_seqs(), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(outbox->stats().rows, 1u);
}

TEST_F(DeviceSessionTest, ExecutesACommandOnceAndAnswersADuplicateWithTheStoredResult) {
  start_online();
  command("cmd-1", "set_available", 0, {{"available", "true"}});
  ASSERT_EQ(hal.executed.size(), 1u);
  auto results = sent("result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].result().command_id(), "cmd-1");
  EXPECT_EQ(results[0].result().outcome(), v1::COMMAND_OUTCOME_OK);
  EXPECT_EQ(results[0].result().output().at("available"), "true");
  EXPECT_EQ(results[0].seq(), 1u);
  // The HAL's event from the command follows the result through the outbox.
  ASSERT_EQ(sent("event").size(), 1u);
  EXPECT_EQ(sent("event")[0].seq(), 2u);

  // Re-delivered while the result is still unacked: not executed, nothing new queued
  // (the queued result goes out with the outbox).
  command("cmd-1", "set_available", 0, {{"available", "true"}});
  EXPECT_EQ(hal.executed.size(), 1u);
  EXPECT_EQ(outbox->stats().rows, 2u);
  EXPECT_EQ(metrics.counter_total("tw_agent_duplicate_commands_total"), 1u);

  // Re-delivered after the edge acked the result: the remembered result goes out again.
  ack(2);
  command("cmd-1", "set_available", 0, {{"available", "true"}});
  EXPECT_EQ(hal.executed.size(), 1u);
  results = sent("result");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].result().command_id(), "cmd-1");
  EXPECT_EQ(results[1].result().outcome(), v1::COMMAND_OUTCOME_OK);
  EXPECT_EQ(results[1].result().output().at("available"), "true");
  EXPECT_EQ(results[1].seq(), 3u);
}

TEST_F(DeviceSessionTest, ACommandPastItsDeadlineIsExpiredNotExecuted) {
  start_online();
  command("cmd-old", "set_available", clock.wall_ms() - 1, {{"available", "true"}});
  EXPECT_TRUE(hal.executed.empty());
  auto results = sent("result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].result().outcome(), v1::COMMAND_OUTCOME_EXPIRED);
  // A command with a future deadline runs.
  command("cmd-new", "set_available", clock.wall_ms() + 60'000, {{"available", "true"}});
  EXPECT_EQ(hal.executed.size(), 1u);
  EXPECT_EQ(metrics.counter_value("tw_agent_commands_total", {{"outcome", "expired"}}), 1u);
}

TEST_F(DeviceSessionTest, ADeferredCommandIsAnsweredWhenTheHalHasTheReplyWithItsBody) {
  start_online();
  command("ask-1", "ask", clock.wall_ms() + 60'000);
  ASSERT_EQ(hal.asked.size(), 1u);
  EXPECT_TRUE(sent("result").empty());
  EXPECT_EQ(session->pending_commands(), 1u);
  // Delivered again while the person thinks: neither run again nor answered.
  command("ask-1", "ask", clock.wall_ms() + 60'000);
  EXPECT_EQ(hal.asked.size(), 1u);
  EXPECT_EQ(metrics.counter_total("tw_agent_duplicate_commands_total"), 1u);

  CommandReply reply = CommandReply::ok("decided");
  reply.body = std::string("\x01\x00binary", 8);
  hal.ready.push_back({"ask-1", reply});
  run_for(1000);
  auto results = sent("result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].result().command_id(), "ask-1");
  EXPECT_EQ(results[0].result().outcome(), v1::COMMAND_OUTCOME_OK);
  EXPECT_EQ(results[0].result().body(), reply.body);
  EXPECT_EQ(session->pending_commands(), 0u);

  // After the answer a re-delivery gets the remembered result, body included.
  ack(results[0].seq());
  command("ask-1", "ask", clock.wall_ms() + 60'000);
  EXPECT_EQ(hal.asked.size(), 1u);
  results = sent("result");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].result().body(), reply.body);
}

TEST_F(DeviceSessionTest, ADeferredCommandNotAnsweredByItsDeadlineExpiresAndALateReplyIsDropped) {
  start_online();
  command("ask-2", "ask", clock.wall_ms() + 3000);
  run_for(2000);
  EXPECT_TRUE(sent("result").empty());
  run_for(2000);
  auto results = sent("result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].result().outcome(), v1::COMMAND_OUTCOME_EXPIRED);
  EXPECT_EQ(session->pending_commands(), 0u);
  hal.ready.push_back({"ask-2", CommandReply::ok("too late")});
  run_for(1000);
  EXPECT_EQ(sent("result").size(), 1u);
  EXPECT_EQ(metrics.counter_total("tw_agent_late_command_replies_total"), 1u);
}

TEST_F(DeviceSessionTest, AnOversizedBodyTurnsTheAnswerIntoAFailure) {
  start_online();
  command("ask-3", "ask", 0);
  CommandReply reply = CommandReply::ok("huge");
  reply.body.assign(codec::kMaxEnvelopeBytes, 'x');
  hal.ready.push_back({"ask-3", reply});
  run_for(1000);
  auto results = sent("result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].result().outcome(), v1::COMMAND_OUTCOME_FAILED);
  EXPECT_TRUE(results[0].result().body().empty());
}

TEST_F(DeviceSessionTest, AnUnknownCommandIsUnsupported) {
  start_online();
  command("cmd-x", "self_destruct");
  auto results = sent("result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].result().outcome(), v1::COMMAND_OUTCOME_UNSUPPORTED);
  EXPECT_NE(results[0].result().message().find("self_destruct"), std::string::npos);
}

TEST_F(DeviceSessionTest, PingIsAnsweredByTheSessionItself) {
  start_online();
  command("cmd-ping", "ping");
  auto results = sent("result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].result().outcome(), v1::COMMAND_OUTCOME_OK);
  EXPECT_EQ(results[0].result().output().at("boot_id"), "boot-1");
  EXPECT_TRUE(hal.executed.empty());
}

TEST_F(DeviceSessionTest, BadPayloadsAreCountedAndIgnored) {
  start_online();
  size_t before = transport.sent.size();
  transport.deliver(std::string(kBase) + "cmd", std::string("\x0a\x7f"
                                                            "abc"));  // truncated field
  transport.deliver(std::string(kBase) + "ack", "\x08");
  v1::Command no_id;
  no_id.set_name("ping");
  transport.deliver(std::string(kBase) + "cmd", codec::encode(no_id));
  transport.deliver(std::string(kBase) + "cmd", std::string(codec::kMaxCommandBytes + 1, 'x'));
  ack(5, "someone-else");
  v1::Command foreign;
  foreign.set_command_id("c9");
  foreign.set_device_id("r2");
  foreign.set_name("ping");
  transport.deliver(std::string(kBase) + "cmd", codec::encode(foreign));
  transport.deliver("tw/v1/site/s1/rider/r2/cmd", codec::encode(foreign));

  EXPECT_EQ(rejects("malformed"), 2u);
  EXPECT_EQ(rejects("invalid_field"), 1u);
  EXPECT_EQ(rejects("oversize"), 1u);
  EXPECT_EQ(rejects("identity_mismatch"), 2u);
  EXPECT_EQ(rejects("bad_topic"), 1u);
  EXPECT_EQ(transport.sent.size(), before);  // nothing executed, nothing answered
  EXPECT_TRUE(hal.executed.empty());
  EXPECT_TRUE(session->online());
}

TEST_F(DeviceSessionTest, RefusesEventsTheEdgeWouldReject) {
  start_online();
  EXPECT_FALSE(session->record_event({"", v1::PRIORITY_NORMAL, {}}).ok());
  HalEvent many{"x", v1::PRIORITY_NORMAL, {}};
  for (int i = 0; i < 65; ++i) many.attributes["a" + std::to_string(i)] = "v";
  EXPECT_FALSE(session->record_event(many).ok());
  HalEvent huge{"x", v1::PRIORITY_NORMAL, {{"blob", std::string(70 * 1024, 'z')}}};
  EXPECT_FALSE(session->record_event(huge).ok());
  EXPECT_EQ(metrics.counter_total("tw_agent_events_refused_total"), 3u);
  EXPECT_EQ(outbox->last_seq(), 0u);
}

TEST_F(DeviceSessionTest, DropsFromAFullOutboxShowInTheFloor) {
  create({.max_bytes = 400});
  start_online();
  transport.max_inflight = 0;  // nothing leaves: the outbox fills up
  for (int i = 0; i < 20; ++i) record("low", v1::PRIORITY_LOW);
  EXPECT_GT(outbox->stats().dropped_count(v1::PRIORITY_LOW, DropReason::kFull), 0u);
  uint64_t floor = outbox->floor_seq();
  EXPECT_GT(floor, 1u);
  transport.max_inflight = 100;
  run_for(100);
  auto events = sent("event");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].seq(), floor);
  EXPECT_EQ(events[0].event().outbox_floor_seq(), floor);
}

TEST_F(DeviceSessionTest, ShutdownPublishesOfflinePresenceAndDisconnects) {
  start_online();
  transport.ack();
  session->begin_shutdown();
  auto presence = sent("presence");
  ASSERT_EQ(presence.size(), 2u);
  EXPECT_FALSE(presence[1].presence().online());
  EXPECT_EQ(presence[1].presence().session_seq(), 1u);
  EXPECT_FALSE(session->shutdown_settled());  // waiting for the PUBACK
  transport.ack();
  EXPECT_TRUE(session->shutdown_settled());
  session->finish_shutdown();
  EXPECT_FALSE(transport.is_connected());
  EXPECT_EQ(session->state(), DeviceSession::State::kStopped);
  // Stopped: ticks do nothing.
  run_for(10'000);
  EXPECT_EQ(sent("status").size(), 1u);
}

TEST_F(DeviceSessionTest, RefusesAHalOfTheWrongKind) {
  SessionOptions o;
  o.address = {"s1", v1::DEVICE_KIND_POSTER, "p1"};
  o.boot_id = "b";
  auto s = DeviceSession::create(o, {transport, *outbox, hal, clock, random, metrics});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("rider"), std::string::npos);
}

TEST_F(DeviceSessionTest, BootIdsAreSixteenHexDigits) {
  std::string id = make_boot_id(random);
  EXPECT_EQ(id.size(), 16u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(make_boot_id(random), id);
}

}  // namespace
}  // namespace tidewire::firmware

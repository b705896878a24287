// Relay ingest: validation, dedup, group commit, acks, status/presence, commands, restart.
#include "tests/edge/relay_fixture.hpp"

namespace tidewire::edge {
namespace {

using namespace tidewire::edge::testing;

TEST_F(RelayTest, SubscribesToTheSiteUplinksAndItsCloudTopics) {
  start();
  EXPECT_EQ(site.subscriptions, topics::site_uplink_filters("s1"));
  EXPECT_EQ(cloud.subscriptions, (std::vector<std::string>{"tw/v1/edge/e1/ack", "tw/v1/edge/e1/cmd"}));
}

TEST_F(RelayTest, AcksOnlyAfterTheGroupIsCommitted) {
  start();
  send(event(d1, "b", 1, 1));
  send(event(d1, "b", 2, 1));
  EXPECT_TRUE(acks_for(d1).empty());  // received, not yet on disk
  EXPECT_EQ(sqlite->stats().rows, 0u);
  advance(4);
  EXPECT_TRUE(acks_for(d1).empty());
  advance(1);
  EXPECT_EQ(sqlite->stats().rows, 2u);
  EXPECT_EQ(acks_for(d1), (std::vector<uint64_t>{2}));  // one cumulative ack per device
  EXPECT_EQ(counter("tw_edge_device_acks_sent_total"), 1u);
  EXPECT_EQ(counter("tw_edge_received_total", {{"channel", "event"}}), 2u);
  EXPECT_EQ(counter("tw_edge_group_commits_total"), 1u);
}

TEST_F(RelayTest, GroupCommitsAtTheMessageLimitWithoutWaiting) {
  options.group_commit_max = 3;
  start();
  for (uint64_t s = 1; s <= 3; ++s) send(event(d1, "b", s, 1));
  EXPECT_EQ(sqlite->stats().rows, 3u);
  EXPECT_EQ(acks_for(d1), (std::vector<uint64_t>{3}));
}

TEST_F(RelayTest, NoAckWhenTheSpoolCommitFails) {
  start();
  flaky->fail_appends = true;
  send(event(d1, "b", 1, 1));
  advance(10);
  EXPECT_TRUE(acks_for(d1).empty());
  EXPECT_EQ(counter("tw_edge_group_commit_failures_total"), 1u);
  EXPECT_EQ(counter("tw_edge_group_lost_total"), 1u);
  // The cursor was rolled back: the device's re-send is new, spooled and acked.
  flaky->fail_appends = false;
  send(event(d1, "b", 1, 1));
  advance(10);
  EXPECT_EQ(sqlite->stats().rows, 1u);
  EXPECT_EQ(acks_for(d1), (std::vector<uint64_t>{1}));
  EXPECT_EQ(counter("tw_edge_duplicates_total"), 0u);
}

TEST_F(RelayTest, DuplicatesAreReackedNotSpooled) {
  start();
  send(event(d1, "b", 1, 1));
  advance(5);
  send(event(d1, "b", 1, 1));  // the ack was lost; the device re-sent
  advance(5);
  EXPECT_EQ(sqlite->stats().rows, 1u);
  EXPECT_EQ(acks_for(d1), (std::vector<uint64_t>{1, 1}));
  EXPECT_EQ(counter("tw_edge_duplicates_total"), 1u);
}

TEST_F(RelayTest, AcksTheWatermarkNotTheHighestSeq) {
  start();
  send(event(d1, "b", 1, 1));
  send(event(d1, "b", 3, 1));  // 2 is missing
  advance(5);
  EXPECT_EQ(acks_for(d1), (std::vector<uint64_t>{1}));
  send(event(d1, "b", 2, 1));
  advance(5);
  EXPECT_EQ(acks_for(d1), (std::vector<uint64_t>{1, 3}));
}

TEST_F(RelayTest, RejectsAreCountedByReasonAndNeverAcked) {
  start();
  auto good = event(d1, "b", 1, 1);
  site.deliver("tw/v1/site/s1/poster/d1/bogus", good.payload);
  site.deliver(good.topic, std::string(codec::kMaxEnvelopeBytes + 1, 'x'));
  site.deliver(good.topic, "\xff\xff\xff");
  site.deliver(*topics::device_topic(d2, topics::Channel::kEvent), good.payload);
  v1::Envelope no_seq = envelope(d1, "b", 0);
  no_seq.mutable_event()->set_type("x");
  send(wire(d1, topics::Channel::kEvent, no_seq));
  advance(10);
  for (const char* reason : {"bad_topic", "oversize", "malformed", "identity_mismatch", "invalid_field"}) {
    EXPECT_EQ(counter("tw_edge_rejects_total", {{"reason", reason}}), 1u) << reason;
  }
  EXPECT_EQ(sqlite->stats().rows, 0u);
  EXPECT_TRUE(acks_for(d1).empty());
  EXPECT_TRUE(acks_for(d2).empty());
}

TEST_F(RelayTest, StatusIsCoalescedAndPresenceSpooled) {
  start();
  send(status(d1, 10));
  send(status(d1, 20));
  send(presence(d1, true, 4));
  advance(5);
  send(status(d1, 30));
  send(presence(d1, false, 4));  // the broker published the will
  advance(5);
  EXPECT_EQ(counter("tw_edge_status_coalesced_total"), 2u);
  auto rows = sqlite->read_after(0, 100, 1 << 20);
  ASSERT_EQ(rows->size(), 3u);
  v1::Envelope e;
  ASSERT_TRUE(e.ParseFromString((*rows)[0].row.bytes));
  EXPECT_TRUE(e.presence().online());
  ASSERT_TRUE(e.ParseFromString((*rows)[1].row.bytes));
  EXPECT_EQ(e.status().poster().brightness_pct(), 30u);
  ASSERT_TRUE(e.ParseFromString((*rows)[2].row.bytes));
  EXPECT_FALSE(e.presence().online());
  EXPECT_TRUE(acks_for(d1).empty());  // status and presence are not acked
}

TEST_F(RelayTest, CommandsGoToTheDevicesCmdTopic) {
  start();
  send(event(d2, "b", 1, 1));  // d2 (a rider) speaks through this edge
  advance(5);
  v1::CommandBatch batch;
  auto* c = batch.add_commands();
  c->set_command_id("cmd-1");
  c->set_device_id("d2");
  c->set_name("reboot");
  auto* unknown = batch.add_commands();
  unknown->set_command_id("cmd-2");
  unknown->set_device_id("never-seen");
  unknown->set_name("reboot");
  auto* invalid = batch.add_commands();
  invalid->set_device_id("d2");  // no command id, no name
  cloud.deliver("tw/v1/edge/e1/cmd", codec::encode(batch));

  auto sent = site.sent_on("tw/v1/site/s1/rider/d2/cmd");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].qos, 1);
  auto cmd = codec::decode_command(sent[0].payload);
  ASSERT_TRUE(cmd.ok());
  EXPECT_EQ(cmd->command_id(), "cmd-1");
  EXPECT_EQ(counter("tw_edge_commands_forwarded_total"), 1u);
  EXPECT_EQ(counter("tw_edge_commands_unknown_device_total"), 1u);
  EXPECT_EQ(counter("tw_edge_commands_invalid_total"), 1u);
}

TEST_F(RelayTest, KnownDevicesAndCursorsSurviveARestart) {
  start();
  send(event(d2, "b", 1, 1));
  send(event(d2, "b", 2, 1));
  advance(5);
  site.set_connected(false);
  cloud.set_connected(false);
  relay.reset();
  open();
  start();
  send(event(d2, "b", 2, 1));  // a re-send after the restart is still a duplicate
  advance(5);
  EXPECT_EQ(counter("tw_edge_duplicates_total"), 1u);
  EXPECT_EQ(acks_for(d2), (std::vector<uint64_t>{2, 2}));
  v1::CommandBatch batch;
  auto* c = batch.add_commands();
  c->set_command_id("cmd-1");
  c->set_device_id("d2");
  c->set_name("reboot");
  cloud.deliver("tw/v1/edge/e1/cmd", codec::encode(batch));
  EXPECT_EQ(site.sent_on("tw/v1/site/s1/rider/d2/cmd").size(), 1u);
  // The rows spooled before the restart are re-read and sent.
  advance(200);
  ASSERT_EQ(batches().size(), 1u);
  EXPECT_EQ(batches()[0].items_size(), 2);
}

TEST_F(RelayTest, ShutdownCommitsWhatWasReceivedAndRefusesMore) {
  start();
  send(event(d1, "b", 1, 1));
  relay->stop_input();
  send(event(d1, "b", 2, 1));
  ASSERT_TRUE(relay->flush().ok());
  EXPECT_EQ(sqlite->stats().rows, 1u);
  EXPECT_EQ(acks_for(d1), (std::vector<uint64_t>{1}));
  EXPECT_EQ(counter("tw_edge_input_refused_total"), 1u);
}

TEST_F(RelayTest, AFullSpoolDropsLowPriorityFirstAndCountsIt) {
  open(4096);
  start();
  for (uint64_t s = 1; s <= 20; ++s) send(event(d2, "b", s, 1, v1::PRIORITY_HIGH));
  advance(5);
  ASSERT_LT(sqlite->stats().bytes, 4096u);
  for (uint64_t s = 1; s <= 200; ++s) send(event(d1, "b", s, 1, v1::PRIORITY_LOW));
  advance(5);
  EXPECT_LE(sqlite->stats().bytes, 4096u);
  EXPECT_GT(counter("tw_edge_spool_dropped_total", {{"priority", "low"}, {"reason", "full"}}), 0u);
  EXPECT_EQ(counter("tw_edge_spool_dropped_total", {{"priority", "high"}, {"reason", "full"}}), 0u);
  EXPECT_EQ(metrics.spool_bytes.value(), static_cast<int64_t>(sqlite->stats().bytes));
  // Dropped by policy after the commit: the device was acked, the loss is counted.
  EXPECT_EQ(acks_for(d1).back(), 200u);
}

TEST_F(RelayTest, RowsOlderThanTheAgeBoundAreDroppedAndCounted) {
  options.spool_max_age_ms = 60'000;
  options.expire_interval_ms = 1'000;
  start(true, false);
  send(event(d1, "b", 1, 1));
  send(status(d1, 5));
  advance(5);
  ASSERT_EQ(sqlite->stats().rows, 2u);
  advance(59'000);
  EXPECT_EQ(sqlite->stats().rows, 2u);
  advance(2'000);
  EXPECT_EQ(sqlite->stats().rows, 0u);
  EXPECT_EQ(counter("tw_edge_spool_dropped_total", {{"priority", "normal"}, {"reason", "age"}}), 1u);
  EXPECT_EQ(counter("tw_edge_spool_dropped_total", {{"priority", "low"}, {"reason", "age"}}), 1u);
  EXPECT_EQ(metrics.spool_rows.value(), 0);
}

}  // namespace
}  // namespace tidewire::edge

// Relay uplink: batches, BatchAck deletes, re-sends, the window, pacing.
#include "tests/edge/relay_fixture.hpp"

namespace tidewire::edge {
namespace {

using namespace tidewire::edge::testing;

TEST_F(RelayTest, PublishesADecodableBatchOnTheEdgeTopic) {
  start();
  send(event(d1, "b", 1, 1));
  send(result(d2, "b2", 5, "cmd-9"));
  send(status(d1, 50));
  advance(5);
  EXPECT_TRUE(cloud.sent_on(batch_topic()).empty());  // waits for max_delay to fill up
  advance(200);
  auto bs = batches();
  ASSERT_EQ(bs.size(), 1u);
  const auto& b = bs[0];
  EXPECT_EQ(b.edge_id(), "e1");
  EXPECT_EQ(b.site(), "s1");
  ASSERT_EQ(b.items_size(), 3);
  ASSERT_EQ(b.spool_ids_size(), 3);
  EXPECT_EQ(b.batch_id(), b.spool_ids(2));
  EXPECT_EQ(b.items(0).envelope().event().type(), "display.changed");
  EXPECT_EQ(b.items(1).envelope().result().command_id(), "cmd-9");
  EXPECT_EQ(b.items(2).envelope().status().poster().brightness_pct(), 50u);
  EXPECT_EQ(b.items(0).edge_received_ms(), clock.wall_ms() - 205);
  EXPECT_EQ(cloud.sent_on(batch_topic())[0].qos, 1);
  EXPECT_EQ(counter("tw_edge_batches_sent_total"), 1u);
}

TEST_F(RelayTest, AFullBatchGoesWithoutWaitingForTheDelay) {
  options.uplink.max_items = 10;
  start();
  for (uint64_t s = 1; s <= 25; ++s) send(event(d1, "b", s, 1));
  advance(5);
  auto bs = batches();
  ASSERT_EQ(bs.size(), 2u);  // two full ones; the 5 left wait for the delay
  EXPECT_EQ(bs[0].items_size(), 10);
  EXPECT_EQ(bs[1].items_size(), 10);
  advance(200);
  ASSERT_EQ(batches().size(), 3u);
  EXPECT_EQ(batches()[2].items_size(), 5);
}

TEST_F(RelayTest, RowsAreDeletedOnlyOnBatchAck) {
  start();
  for (uint64_t s = 1; s <= 3; ++s) send(event(d1, "b", s, 1));
  advance(205);
  auto bs = batches();
  ASSERT_EQ(bs.size(), 1u);
  cloud.ack();  // the broker's PUBACK is transport, not durability
  advance(1000);
  EXPECT_EQ(sqlite->stats().rows, 3u);
  cloud_acks(bs[0]);
  EXPECT_EQ(sqlite->stats().rows, 0u);
  EXPECT_EQ(relay->uplink().inflight(), 0u);
  EXPECT_EQ(counter("tw_edge_batches_acked_total"), 1u);
  EXPECT_EQ(counter("tw_edge_cloud_items_total", {{"outcome", "accepted"}}), 3u);
}

TEST_F(RelayTest, AnAckForAnotherEdgeDeletesNothing) {
  start();
  send(event(d1, "b", 1, 1));
  advance(205);
  auto b = batches().at(0);
  v1::BatchAck ack;
  ack.set_edge_id("e2");
  ack.set_batch_id(b.batch_id());
  ack.add_spool_ids(b.spool_ids(0));
  cloud.deliver("tw/v1/edge/e1/ack", codec::encode(ack));
  cloud.deliver("tw/v1/edge/e1/ack", "\xff\xff");
  EXPECT_EQ(sqlite->stats().rows, 1u);
  EXPECT_EQ(counter("tw_edge_cloud_rejects_total"), 2u);
}

TEST_F(RelayTest, ResendsAfterTheAckTimeout) {
  start();
  send(event(d1, "b", 1, 1));
  advance(205);
  ASSERT_EQ(cloud.sent_on(batch_topic()).size(), 1u);
  advance(9'999);
  EXPECT_EQ(cloud.sent_on(batch_topic()).size(), 1u);
  advance(1);
  auto sent = cloud.sent_on(batch_topic());
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].payload, sent[1].payload);  // the same frame, the same batch id
  EXPECT_EQ(counter("tw_edge_batches_resent_total"), 1u);
  cloud_acks(batches()[1]);
  EXPECT_EQ(sqlite->stats().rows, 0u);
  advance(20'000);
  EXPECT_EQ(cloud.sent_on(batch_topic()).size(), 2u);  // acked: never again
}

TEST_F(RelayTest, ResendsAfterReconnectAndKeepsRowsWhileDown) {
  start();
  send(event(d1, "b", 1, 1));
  advance(205);
  ASSERT_EQ(cloud.sent_on(batch_topic()).size(), 1u);
  cloud.set_connected(false);
  send(event(d1, "b", 2, 1));
  advance(30'000);
  EXPECT_EQ(cloud.sent_on(batch_topic()).size(), 1u);  // nothing while down...
  EXPECT_EQ(sqlite->stats().rows, 2u);                 // ...but spooled and acked to the device
  EXPECT_EQ(acks_for(d1).back(), 2u);
  cloud.set_connected(true);
  relay->tick();
  auto bs = batches();
  ASSERT_EQ(bs.size(), 3u);  // the unacked batch again, then the new row
  EXPECT_EQ(bs[1].batch_id(), bs[0].batch_id());
  EXPECT_EQ(bs[2].items(0).envelope().seq(), 2u);
  EXPECT_EQ(counter("tw_edge_batches_resent_total"), 1u);
}

TEST_F(RelayTest, InFlightBatchesAreBoundedByTheWindow) {
  options.uplink.max_items = 10;
  options.uplink.window = 2;
  start();
  for (uint64_t s = 1; s <= 50; ++s) send(event(d1, "b", s, 1));
  advance(5);
  advance(1000);
  auto bs = batches();
  ASSERT_EQ(bs.size(), 2u);
  EXPECT_EQ(metrics.batches_inflight.value(), 2);
  cloud_acks(bs[0]);
  relay->tick();
  EXPECT_EQ(batches().size(), 3u);
}

TEST_F(RelayTest, DrainIsPacedAfterAnOutage) {
  options.uplink.max_items = 100;
  options.uplink.window = 64;
  options.uplink.drain_rate = 1000;  // items/s
  start(true, false);
  for (uint64_t s = 1; s <= 2000; ++s) send(event(d1, "b", s, 1));
  advance(5);
  advance(60'000);  // a minute of outage: tokens do not pile up beyond one batch
  ASSERT_EQ(sqlite->stats().rows, 2000u);
  cloud.set_connected(true);
  auto items_sent = [&] {
    size_t n = 0;
    for (const auto& b : batches()) n += static_cast<size_t>(b.items_size());
    return n;
  };
  relay->tick();
  EXPECT_EQ(items_sent(), 100u);  // one burst
  for (int i = 0; i < 10; ++i) advance(50);
  // 500 ms at 1000/s: 5 more batches, not the whole backlog.
  EXPECT_EQ(items_sent(), 600u);
  EXPECT_GE(counter("tw_edge_uplink_paced_total"), 1u);
  for (int i = 0; i < 40; ++i) advance(50);
  EXPECT_EQ(items_sent(), 2000u);
}

TEST_F(RelayTest, AFailedAckDeleteKeepsTheBatchForAResend) {
  start();
  send(event(d1, "b", 1, 1));
  advance(205);
  auto b = batches().at(0);
  flaky->fail_removes = true;
  cloud_acks(b);
  EXPECT_EQ(relay->uplink().inflight(), 1u);
  EXPECT_EQ(sqlite->stats().rows, 1u);
  flaky->fail_removes = false;
  advance(10'000);
  ASSERT_EQ(batches().size(), 2u);
  cloud_acks(batches()[1]);
  EXPECT_EQ(sqlite->stats().rows, 0u);
}

}  // namespace
}  // namespace tidewire::edge

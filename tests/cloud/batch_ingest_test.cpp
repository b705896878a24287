#include "tidewire/cloud/batch_ingest.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "process/process.hpp"
#include "sqlite/sqlite_registry.hpp"
#include "tests/cloud/cloud_test_support.hpp"
#include "tests/fakes/fake_transport.hpp"
#include "tidewire/protocols/batch_frame.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::cloud {
namespace {

using namespace testing;

// A store that always fails, to check that nothing is acked unless it was committed.
class BrokenRegistry final : public FleetRegistry {
 public:
  Error broken() const { return make_error(ErrorCode::kIo, "disk I/O error"); }
  Expected<IngestOutcome> ingest(const v1::EdgeBatch&) override { return broken(); }
  Expected<v1::FleetSummary> summary() override { return broken(); }
  Expected<DevicePage> list_devices(const DeviceQuery&) override { return broken(); }
  Expected<v1::Device> device(const std::string&) override { return broken(); }
  Expected<std::vector<v1::StoredEvent>> events(const std::string&, uint64_t, int) override { return broken(); }
  Expected<CommandInsert> insert_command(const CommandRecord&) override { return broken(); }
  Expected<CommandRecord> command(const std::string&) override { return broken(); }
  Status mark_sent(const std::vector<std::string>&, int64_t) override { return broken(); }
  Expected<std::vector<CommandRecord>> due_commands(int64_t, int64_t, int) override { return broken(); }
  Expected<uint64_t> expire_commands(int64_t) override { return broken(); }
  Expected<std::map<v1::CommandState, uint64_t>> command_counts() override { return broken(); }
  Status check() override { return broken(); }
};

std::string batch_topic(const std::string& edge) {
  return *topics::edge_topic(edge, topics::EdgeChannel::kBatch);
}
std::string ack_topic(const std::string& edge) {
  return *topics::edge_topic(edge, topics::EdgeChannel::kAck);
}

class BatchIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = SqliteRegistry::open({temp_db_path(), 120'000}, clock_);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    registry_ = std::move(*r);
    transport_.set_connected(true);
  }

  std::vector<v1::BatchAck> acks(const std::string& edge) {
    std::vector<v1::BatchAck> out;
    for (const auto& m : transport_.sent_on(ack_topic(edge))) {
      v1::BatchAck a;
      EXPECT_TRUE(a.ParseFromString(m.payload));
      out.push_back(a);
    }
    return out;
  }

  ManualClock clock_{kT0};
  MetricsRegistry metrics_;
  tidewire::testing::FakeTransport transport_;
  std::unique_ptr<SqliteRegistry> registry_;
};

TEST_F(BatchIngestTest, StoresThenAcksWithSpoolIdsAndCountsDuplicatesOnResend) {
  BatchIngest ingest(*registry_, transport_, metrics_, clock_);
  Who who;
  auto b = batch("edge-1", 17, {event_item(who, 1), event_item(who, 2)});
  transport::Message frame{batch_topic("edge-1"), codec::encode_batch_frame(b, 3), 1, false};
  ingest.process(frame);
  ingest.process(frame);

  auto got = acks("edge-1");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].edge_id(), "edge-1");
  EXPECT_EQ(got[0].batch_id(), 17u);
  ASSERT_EQ(got[0].spool_ids_size(), 2);
  EXPECT_EQ(got[0].spool_ids(0), 17000u);
  EXPECT_EQ(got[0].spool_ids(1), 17001u);
  EXPECT_EQ(got[0].accepted(), 2u);
  EXPECT_EQ(got[1].accepted(), 0u);
  EXPECT_EQ(got[1].duplicates(), 2u);
  EXPECT_EQ(transport_.sent.back().message.qos, 1);
  EXPECT_EQ(registry_->device(who.device)->events_stored(), 2u);
  EXPECT_EQ(metrics_.counter_value("tw_cloud_items_total", {{"type", "event"}, {"outcome", "duplicate"}}), 2u);
  EXPECT_EQ(metrics_.counter_total("tw_cloud_duplicates_total"), 2u);
  EXPECT_EQ(metrics_.counter_total("tw_cloud_events_stored_total"), 2u);
  EXPECT_EQ(metrics_.counter_total("tw_cloud_acks_total"), 2u);
}

TEST_F(BatchIngestTest, RejectedItemsAreStillAckedAndCounted) {
  BatchIngest ingest(*registry_, transport_, metrics_, clock_);
  Who who;
  auto bad = event_item(who, 2);
  bad.mutable_envelope()->mutable_event()->set_type("");
  auto b = batch("edge-1", 1, {event_item(who, 1), bad});
  ingest.process({batch_topic("edge-1"), codec::encode_batch_frame(b, 0), 1, false});
  auto got = acks("edge-1");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].accepted(), 1u);
  EXPECT_EQ(got[0].rejected(), 1u);
  EXPECT_EQ(got[0].spool_ids_size(), 2);
  EXPECT_EQ(metrics_.counter_value("tw_cloud_rejects_total", {{"unit", "item"}, {"reason", "invalid_field"}}), 1u);
}

TEST_F(BatchIngestTest, UndecodableOrMisaddressedFramesAreCountedAndNotAcked) {
  BatchIngest ingest(*registry_, transport_, metrics_, clock_);
  ingest.process({batch_topic("edge-1"), "\x08\x01\x1a\x05garbage", 1, false});
  auto b = batch("edge-2", 1, {event_item(Who{}, 1)});
  ingest.process({batch_topic("edge-1"), codec::encode_batch_frame(b, 0), 1, false});  // edge-2 on edge-1's topic
  ingest.process({"tw/v1/edge/edge-1/nonsense", codec::encode_batch_frame(b, 0), 1, false});
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(metrics_.counter_value("tw_cloud_rejects_total", {{"unit", "frame"}, {"reason", "malformed"}}), 1u);
  EXPECT_EQ(metrics_.counter_value("tw_cloud_rejects_total", {{"unit", "frame"}, {"reason", "identity_mismatch"}}), 1u);
  EXPECT_EQ(metrics_.counter_value("tw_cloud_rejects_total", {{"unit", "frame"}, {"reason", "bad_topic"}}), 1u);
  EXPECT_FALSE(registry_->device("poster-1").ok());
}

// Which site each edge was provisioned for: the credential store's answer, faked.
class FakeEdgeSites final : public EdgeSites {
 public:
  std::map<std::string, std::string> sites;
  bool unreadable = false;
  Expected<std::optional<std::string>> site_of(const std::string& edge_id) override {
    if (unreadable) return make_error(ErrorCode::kIo, "database is locked");
    auto it = sites.find(edge_id);
    if (it == sites.end()) return std::optional<std::string>{};
    return std::optional<std::string>{it->second};
  }
};

TEST_F(BatchIngestTest, AnEdgeSpeaksOnlyForTheSiteItWasProvisionedFor) {
  FakeEdgeSites sites;
  sites.sites = {{"edge-1", "site-a"}, {"edge-2", "site-b"}};
  BatchIngest ingest(*registry_, transport_, metrics_, clock_);
  ingest.set_edge_sites(sites);
  Who who;  // a device of site-a
  auto frame = [&](const std::string& edge, uint64_t id, const std::string& site) {
    return transport::Message{batch_topic(edge), codec::encode_batch_frame(batch(edge, id, {event_item(who, id)}, site), 0),
                              1, false};
  };
  // Each refused whole and never acked: site-b's edge speaking for site-a (on its own
  // topic, which the broker allows it), site-a's edge with no site, an edge never
  // provisioned here.
  ingest.process(frame("edge-2", 1, "site-a"));
  ingest.process(frame("edge-1", 2, ""));
  ingest.process(frame("edge-9", 3, "site-a"));
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(metrics_.counter_value("tw_cloud_rejects_total", {{"unit", "frame"}, {"reason", "identity_mismatch"}}), 2u);
  EXPECT_EQ(metrics_.counter_value("tw_cloud_rejects_total", {{"unit", "frame"}, {"reason", "unknown_edge"}}), 1u);
  EXPECT_FALSE(registry_->device(who.device).ok());

  // The store cannot say right now: not refused, just not acked (the edge re-sends).
  sites.unreadable = true;
  ingest.process(frame("edge-1", 4, "site-a"));
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(metrics_.counter_value("tw_cloud_batches_total", {{"result", "store_failed"}}), 1u);
  sites.unreadable = false;
  ingest.process(frame("edge-1", 4, "site-a"));
  auto got = acks("edge-1");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].accepted(), 1u);
  EXPECT_EQ(registry_->device(who.device)->edge_id(), "edge-1");
}

TEST_F(BatchIngestTest, NothingIsAckedWhenTheStoreFails) {
  BrokenRegistry broken;
  BatchIngest ingest(broken, transport_, metrics_, clock_);
  auto b = batch("edge-1", 1, {event_item(Who{}, 1)});
  ingest.process({batch_topic("edge-1"), codec::encode_batch_frame(b, 0), 1, false});
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(metrics_.counter_value("tw_cloud_batches_total", {{"result", "store_failed"}}), 1u);
}

TEST_F(BatchIngestTest, StoredButUnackableBatchIsCountedAndAckedAsDuplicatesOnResend) {
  BatchIngest ingest(*registry_, transport_, metrics_, clock_);
  auto b = batch("edge-1", 1, {event_item(Who{}, 1)});
  transport::Message frame{batch_topic("edge-1"), codec::encode_batch_frame(b, 0), 1, false};
  transport_.set_connected(false);
  ingest.process(frame);
  EXPECT_EQ(metrics_.counter_value("tw_cloud_ack_failures_total", {{"reason", "publish_refused"}}), 1u);
  transport_.set_connected(true);
  ingest.process(frame);
  auto got = acks("edge-1");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].duplicates(), 1u);
}

TEST_F(BatchIngestTest, ABatchWhoseOrderReportsTheDispatcherCouldNotApplyIsNotAckedUntilItCan) {
  BatchIngest ingest(*registry_, transport_, metrics_, clock_);
  int seen = 0, settles = 0;
  bool dispatcher_busy = true;
  DeviceFeed feed(metrics_);
  feed.subscribe({"dispatch",
                  {{DeviceItemType::kEvent, v1::DEVICE_KIND_RIDER, "order.", true}},
                  [&](const DeviceItem&) {
                    ++seen;
                    return true;
                  },
                  [&] {
                    ++settles;
                    return !dispatcher_busy;
                  }});
  ingest.set_feed(feed);
  Who rider{"rider-1", "site-a", v1::DEVICE_KIND_RIDER, "boot-1"};
  auto b = batch("edge-1", 1, {event_item(rider, 1, kT0, "order.delivered")});
  transport::Message frame{batch_topic("edge-1"), codec::encode_batch_frame(b, 0), 1, false};

  ingest.process(frame);  // stored, but the dispatcher did not take it: no ack
  EXPECT_TRUE(acks("edge-1").empty());
  EXPECT_EQ(metrics_.counter_value("tw_cloud_batches_total", {{"result", "handoff_failed"}}), 1u);

  dispatcher_busy = false;
  ingest.process(frame);  // the edge's re-send: handed on again, applied, acked
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(settles, 2);
  auto got = acks("edge-1");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].duplicates(), 1u);

  // A batch with nothing for the dispatcher is acked without waiting on it.
  dispatcher_busy = true;
  ingest.process(
      {batch_topic("edge-1"), codec::encode_batch_frame(batch("edge-1", 2, {event_item(Who{}, 1)}), 0), 1, false});
  EXPECT_EQ(settles, 2);
  EXPECT_EQ(acks("edge-1").size(), 2u);
}

TEST_F(BatchIngestTest, FullQueueRefusesFramesAndCountsThem) {
  IngestOptions options;
  options.max_queue_frames = 2;
  BatchIngest ingest(*registry_, transport_, metrics_, clock_, options);  // worker not started
  auto b = batch("edge-1", 1, {event_item(Who{}, 1)});
  transport::Message frame{batch_topic("edge-1"), codec::encode_batch_frame(b, 0), 1, false};
  EXPECT_TRUE(ingest.submit(frame));
  EXPECT_TRUE(ingest.submit(frame));
  EXPECT_FALSE(ingest.submit(frame));
  EXPECT_EQ(ingest.queue_depth(), 2u);
  EXPECT_EQ(metrics_.counter_total("tw_cloud_ingest_queue_full_total"), 1u);
  EXPECT_EQ(metrics_.gauge("tw_cloud_ingest_queue_depth", "").value(), 2);
  ingest.stop();
  EXPECT_EQ(metrics_.counter_total("tw_cloud_ingest_dropped_total"), 2u);
  EXPECT_FALSE(ingest.submit(frame));  // stopped: dropped, and not counted as a full queue
  EXPECT_EQ(metrics_.counter_total("tw_cloud_ingest_dropped_total"), 3u);
  EXPECT_EQ(metrics_.counter_total("tw_cloud_ingest_queue_full_total"), 1u);
}

TEST_F(BatchIngestTest, WorkerDrainsTheQueue) {
  BatchIngest ingest(*registry_, transport_, metrics_, clock_);
  ingest.start();
  Who who;
  for (uint64_t i = 1; i <= 5; ++i) {
    auto b = batch("edge-1", i, {event_item(who, i)});
    ASSERT_TRUE(ingest.submit({batch_topic("edge-1"), codec::encode_batch_frame(b, 0), 1, false}));
  }
  // Counters are atomic, so the test thread may watch them while the worker runs.
  ASSERT_TRUE(process::wait_until([&] { return metrics_.counter_total("tw_cloud_acks_total") == 5; }, 10'000));
  ingest.stop();
  EXPECT_EQ(acks("edge-1").size(), 5u);
  EXPECT_EQ(registry_->device(who.device)->events_stored(), 5u);
  EXPECT_EQ(metrics_.gauge("tw_cloud_ingest_queue_depth", "").value(), 0);
}

}  // namespace
}  // namespace tidewire::cloud

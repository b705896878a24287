// RegistryContract: what FleetRegistry promises (fleet_registry.hpp: ingest rules, queries,
// commands, durability across reopening), asserted against every backend, each opened by
// its store URL through open_fleet_registry() as the fleet module opens it. The backends
// are tests/cloud/store_backends.hpp's.
#include <gtest/gtest.h>

#include "open_fleet_registry.hpp"
#include "tests/cloud/cloud_test_support.hpp"
#include "tests/cloud/store_backends.hpp"
#include "tidewire/common/clock.hpp"

namespace tidewire::cloud {
namespace {

using namespace testing;

class RegistryContract : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    url_ = fresh_store_url(GetParam());
    open();
  }
  // Opens the backend on the test's store (again: what a restart sees).
  void open() {
    registry_.reset();
    auto r = open_fleet_registry(url_, 120'000, clock_);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    registry_ = std::move(*r);
  }
  IngestOutcome ingest(const v1::EdgeBatch& b) {
    auto out = registry_->ingest(b);
    EXPECT_TRUE(out.ok()) << out.error().describe();
    return out.ok() ? *out : IngestOutcome{};
  }
  v1::Device device(const std::string& id) {
    auto d = registry_->device(id);
    EXPECT_TRUE(d.ok()) << d.error().describe();
    return d.ok() ? *d : v1::Device{};
  }
  CommandRecord command(const std::string& id, const std::string& device, int64_t deadline_ms) {
    CommandRecord r;
    r.view.set_command_id(id);
    r.view.set_device_id(device);
    r.view.set_name("reboot");
    r.view.set_state(v1::COMMAND_STATE_PENDING);
    r.view.set_created_ms(clock_.wall_ms());
    r.view.set_deadline_ms(deadline_ms);
    return r;
  }

  ManualClock clock_{kT0};
  StoreUrl url_;
  FleetRegistryPtr registry_;
};

TEST_P(RegistryContract, SameBatchTwiceIsStoredOnceAndSecondTimeCountsDuplicates) {
  Who who;
  auto b = batch("edge-1", 1, {event_item(who, 1), event_item(who, 2), event_item(who, 3)});
  auto first = ingest(b);
  EXPECT_EQ(first.accepted, 3u);
  EXPECT_EQ(first.duplicates, 0u);
  auto second = ingest(b);
  EXPECT_EQ(second.accepted, 0u);
  EXPECT_EQ(second.duplicates, 3u);
  EXPECT_EQ((second.items[{"event", "duplicate"}]), 3u);

  auto events = registry_->events(who.device, 0, 100);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].seq(), 1u);
  EXPECT_EQ((*events)[2].attributes().at("creative"), "c-3");
  auto d = device(who.device);
  EXPECT_EQ(d.events_stored(), 3u);
  EXPECT_EQ(d.highest_seq(), 3u);
  EXPECT_EQ(d.edge_id(), "edge-1");
  EXPECT_EQ(d.site(), "site-a");
  EXPECT_EQ(d.kind(), v1::DEVICE_KIND_POSTER);
  EXPECT_EQ(d.boot_id(), "boot-1");
}

TEST_P(RegistryContract, SameSeqFromAnotherBootIsANewEvent) {
  Who who;
  ingest(batch("edge-1", 1, {event_item(who, 7)}));
  who.boot = "boot-2";
  auto out = ingest(batch("edge-1", 2, {event_item(who, 7)}));
  EXPECT_EQ(out.accepted, 1u);
  EXPECT_EQ(device(who.device).events_stored(), 2u);
}

TEST_P(RegistryContract, OldWillArrivingAfterNewOnlineDoesNotMarkOffline) {
  Who who;
  ingest(batch("edge-1", 1, {presence_item(who, 1, true)}));
  EXPECT_TRUE(device(who.device).online());
  // The device reconnected (session 2) before its old connection's will (session 1) came through.
  ingest(batch("edge-1", 2, {presence_item(who, 2, true)}));
  auto late_will = ingest(batch("edge-1", 3, {presence_item(who, 1, false)}));
  EXPECT_EQ((late_will.items[{"presence", "stale"}]), 1u);
  EXPECT_TRUE(device(who.device).online());
  // The current session's will does count, and a re-sent hello of that session does not undo it.
  ingest(batch("edge-1", 4, {presence_item(who, 2, false)}));
  EXPECT_FALSE(device(who.device).online());
  ingest(batch("edge-1", 5, {presence_item(who, 2, true)}));
  EXPECT_FALSE(device(who.device).online());
  ingest(batch("edge-1", 6, {presence_item(who, 3, true)}));
  EXPECT_TRUE(device(who.device).online());
}

TEST_P(RegistryContract, PresenceOrderInsideOneBatchFollowsTheSameRule) {
  Who who;
  ingest(batch("edge-1", 1, {presence_item(who, 5, true), presence_item(who, 4, false)}));
  EXPECT_TRUE(device(who.device).online());
}

TEST_P(RegistryContract, StatusIsUpsertedOnlyWhenNewerByDeviceTime) {
  Who who;
  ingest(batch("edge-1", 1, {poster_status_item(who, kT0 - 100, 10)}));
  auto stale = ingest(batch("edge-1", 2, {poster_status_item(who, kT0 - 200, 20)}));
  EXPECT_EQ((stale.items[{"status", "stale"}]), 1u);
  EXPECT_EQ(device(who.device).last_status().poster().brightness_pct(), 10u);
  auto equal = ingest(batch("edge-1", 3, {poster_status_item(who, kT0 - 100, 25)}));
  EXPECT_EQ(equal.duplicates, 1u);
  EXPECT_EQ(device(who.device).last_status().poster().brightness_pct(), 10u);
  auto newer = ingest(batch("edge-1", 4, {poster_status_item(who, kT0 - 50, 30, kT0 + 7)}));
  EXPECT_EQ(newer.accepted, 1u);
  auto d = device(who.device);
  EXPECT_EQ(d.last_status().poster().brightness_pct(), 30u);
  EXPECT_EQ(d.last_status_ms(), kT0 + 7);
}

TEST_P(RegistryContract, ResultCompletesItsCommandOnce) {
  Who who;
  ingest(batch("edge-1", 1, {event_item(who, 1)}));
  auto inserted = registry_->insert_command(command("cmd-1", who.device, kT0 + 60'000));
  ASSERT_TRUE(inserted.ok()) << inserted.error().describe();
  ASSERT_TRUE(inserted->inserted);

  auto first = ingest(batch("edge-1", 2, {result_item(who, 2, "cmd-1")}));
  EXPECT_EQ(first.accepted, 1u);
  EXPECT_EQ(first.commands_completed, 1u);
  auto stored = registry_->command("cmd-1");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->view.state(), v1::COMMAND_STATE_COMPLETED);
  EXPECT_EQ(stored->view.result().outcome(), v1::COMMAND_OUTCOME_OK);
  EXPECT_EQ(stored->view.completed_ms(), kT0);
  EXPECT_EQ(stored->edge_id, "edge-1");

  clock_.advance_ms(1000);
  auto again = ingest(batch("edge-1", 3, {result_item(who, 2, "cmd-1")}));
  EXPECT_EQ(again.duplicates, 1u);
  EXPECT_EQ(again.commands_completed, 0u);
  EXPECT_EQ(registry_->command("cmd-1")->view.completed_ms(), kT0);  // not completed twice

  // A result for a command the cloud never issued (or for another device's) is refused.
  Who other{"poster-2"};
  auto unknown = ingest(batch("edge-1", 4, {result_item(who, 3, "cmd-nope"), result_item(other, 1, "cmd-1")}));
  EXPECT_EQ(unknown.rejected, 2u);
  EXPECT_EQ(unknown.rejects["unknown_command"], 2u);
  EXPECT_EQ(device(who.device).highest_seq(), 3u);
}

TEST_P(RegistryContract, InvalidItemsAreRejectedAndCountedWhileTheRestIsStored) {
  Who who;
  auto bad_seq = event_item(who, 1);
  bad_seq.mutable_envelope()->set_seq(0);  // events must be numbered
  Who elsewhere = who;
  elsewhere.site = "site-b";  // an edge of site-a relaying a site-b device
  v1::BatchItem empty;
  auto out = ingest(batch("edge-1", 1, {bad_seq, event_item(elsewhere, 2), empty, event_item(who, 3)}));
  EXPECT_EQ(out.accepted, 1u);
  EXPECT_EQ(out.rejected, 3u);
  EXPECT_EQ(out.rejects["invalid_field"], 2u);
  EXPECT_EQ(out.rejects["identity_mismatch"], 1u);
  auto events = registry_->events(who.device, 0, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().seq(), 3u);
}

TEST_P(RegistryContract, EverythingSurvivesReopening) {
  Who who;
  ingest(batch("edge-1", 1, {presence_item(who, 1, true), event_item(who, 1), poster_status_item(who, kT0, 42)}));
  ASSERT_TRUE(registry_->insert_command(command("cmd-1", who.device, kT0 + 60'000)).ok());
  open();
  auto d = device(who.device);
  EXPECT_TRUE(d.online());
  EXPECT_EQ(d.events_stored(), 1u);
  EXPECT_EQ(d.last_status().poster().brightness_pct(), 42u);
  EXPECT_TRUE(registry_->command("cmd-1").ok());
  EXPECT_EQ(ingest(batch("edge-1", 1, {event_item(who, 1)})).duplicates, 1u);
}

TEST_P(RegistryContract, SilentDeviceIsReportedOfflineAfterTheTimeout) {
  Who who;
  ingest(batch("edge-1", 1, {presence_item(who, 1, true, kT0)}));
  clock_.advance_ms(119'000);
  EXPECT_TRUE(device(who.device).online());
  clock_.advance_ms(2'000);
  EXPECT_FALSE(device(who.device).online());
  auto s = registry_->summary();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->online(), 0u);
  EXPECT_EQ(s->offline(), 1u);
  // Any message brings it back: the edge saw it again.
  ingest(batch("edge-1", 2, {poster_status_item(who, clock_.wall_ms(), 1, clock_.wall_ms())}));
  EXPECT_TRUE(device(who.device).online());
}

TEST_P(RegistryContract, NewestMessageDecidesTheEdgeAndOldResendsDoNotMoveItBack) {
  Who who;
  ingest(batch("edge-1", 1, {event_item(who, 1, kT0)}));
  ingest(batch("edge-2", 1, {event_item(who, 2, kT0 + 1000)}));
  EXPECT_EQ(device(who.device).edge_id(), "edge-2");
  ingest(batch("edge-1", 1, {event_item(who, 1, kT0)}));  // edge-1 re-sends its old batch
  auto d = device(who.device);
  EXPECT_EQ(d.edge_id(), "edge-2");
  EXPECT_EQ(d.last_seen_ms(), kT0 + 1000);
}

TEST_P(RegistryContract, SummaryListFiltersAndPaging) {
  Who p1{"p1", "site-a", v1::DEVICE_KIND_POSTER};
  Who p2{"p2", "site-b", v1::DEVICE_KIND_POSTER};
  Who r1{"r1", "site-a", v1::DEVICE_KIND_RIDER};
  Who e1{"e1", "site-a", v1::DEVICE_KIND_ENCODER};
  ingest(batch("edge-a", 1, {presence_item(p1, 1, true), presence_item(r1, 1, true), presence_item(e1, 1, false)}));
  ingest(batch("edge-b", 1, {presence_item(p2, 1, true)}, "site-b"));

  auto s = registry_->summary();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->total(), 4u);
  EXPECT_EQ(s->online(), 3u);
  EXPECT_EQ(s->offline(), 1u);
  ASSERT_EQ(s->by_kind_size(), 3);
  EXPECT_EQ(s->by_kind(1).key(), "poster");
  EXPECT_EQ(s->by_kind(1).total(), 2u);
  ASSERT_EQ(s->by_site_size(), 2);
  EXPECT_EQ(s->by_site(0).key(), "site-a");
  EXPECT_EQ(s->by_site(0).total(), 3u);
  EXPECT_EQ(s->by_site(0).online(), 2u);

  DeviceQuery q;
  q.kind = v1::DEVICE_KIND_POSTER;
  auto posters = registry_->list_devices(q);
  ASSERT_TRUE(posters.ok());
  ASSERT_EQ(posters->devices.size(), 2u);
  EXPECT_EQ(posters->devices[0].device_id(), "p1");

  DeviceQuery offline;
  offline.online = false;
  auto off = registry_->list_devices(offline);
  ASSERT_EQ(off->devices.size(), 1u);
  EXPECT_EQ(off->devices[0].device_id(), "e1");

  DeviceQuery site_a;
  site_a.site = "site-a";
  site_a.online = true;
  EXPECT_EQ(registry_->list_devices(site_a)->devices.size(), 2u);

  DeviceQuery page;
  page.limit = 3;
  auto first = registry_->list_devices(page);
  ASSERT_EQ(first->devices.size(), 3u);
  EXPECT_TRUE(first->more);
  EXPECT_EQ(first->devices[2].device_id(), "p2");
  page.after_device_id = "p2";
  auto second = registry_->list_devices(page);
  ASSERT_EQ(second->devices.size(), 1u);
  EXPECT_EQ(second->devices[0].device_id(), "r1");
  EXPECT_FALSE(second->more);
}

TEST_P(RegistryContract, EventsPageBySeq) {
  Who who;
  ingest(batch("edge-1", 1, {event_item(who, 5), event_item(who, 3), event_item(who, 9)}));
  auto first = registry_->events(who.device, 0, 2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].seq(), 3u);
  EXPECT_EQ((*first)[1].seq(), 5u);
  auto rest = registry_->events(who.device, 5, 2);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].seq(), 9u);
  EXPECT_EQ((*rest)[0].type(), "display.changed");
  EXPECT_EQ((*rest)[0].stored_ms(), kT0);
}

TEST_P(RegistryContract, UnknownDeviceIsNotFound) {
  auto d = registry_->device("nobody");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kNotFound);
}

TEST_P(RegistryContract, CommandsExpireAndDueOnesAreListed) {
  Who who;
  ingest(batch("edge-1", 1, {event_item(who, 1)}));
  ASSERT_TRUE(registry_->insert_command(command("cmd-a", who.device, kT0 + 1000)).ok());
  ASSERT_TRUE(registry_->insert_command(command("cmd-b", who.device, kT0 + 60'000)).ok());
  auto due = registry_->due_commands(kT0, kT0, 10);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(due->size(), 2u);
  ASSERT_TRUE(registry_->mark_sent({"cmd-a", "cmd-b"}, kT0).ok());
  EXPECT_EQ(registry_->command("cmd-b")->view.state(), v1::COMMAND_STATE_SENT);
  EXPECT_TRUE(registry_->due_commands(kT0 - 1, kT0, 10)->empty());  // sent too recently
  auto expired = registry_->expire_commands(kT0 + 1000);
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(*expired, 1u);
  EXPECT_EQ(registry_->command("cmd-a")->view.state(), v1::COMMAND_STATE_EXPIRED);
  auto counts = registry_->command_counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)[v1::COMMAND_STATE_EXPIRED], 1u);
  EXPECT_EQ((*counts)[v1::COMMAND_STATE_SENT], 1u);
}

TEST_P(RegistryContract, IdempotencyKeyReturnsTheFirstCommand) {
  Who who;
  ingest(batch("edge-1", 1, {event_item(who, 1)}));
  auto a = command("cmd-a", who.device, kT0 + 1000);
  a.idempotency_key = "key-1";
  a.request_fingerprint = "fp-a";
  ASSERT_TRUE(registry_->insert_command(a)->inserted);
  auto b = command("cmd-b", who.device, kT0 + 1000);
  b.idempotency_key = "key-1";
  b.request_fingerprint = "fp-b";
  auto again = registry_->insert_command(b);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->inserted);
  EXPECT_EQ(again->record.view.command_id(), "cmd-a");
  EXPECT_EQ(again->record.request_fingerprint, "fp-a");
  EXPECT_FALSE(registry_->command("cmd-b").ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, RegistryContract, store_backends(), backend_name);

}  // namespace
}  // namespace tidewire::cloud

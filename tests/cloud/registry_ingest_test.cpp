// The registry's ingest rules alone (registry_ingest.hpp), over an in-memory IngestTarget:
// what any backend gets right by calling apply_batch(), and that a failing storage step
// stops the batch so the backend can roll it back.
#include "tidewire/cloud/registry_ingest.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "tests/cloud/cloud_test_support.hpp"

namespace tidewire::cloud {
namespace {

using namespace testing;

class MemoryTarget final : public IngestTarget {
 public:
  Expected<DeviceRecord> load_device(const std::string& id) override {
    ++loads;
    auto it = devices.find(id);
    if (it != devices.end()) return it->second;
    DeviceRecord fresh;
    fresh.device_id = id;
    return fresh;
  }
  Expected<bool> insert_event(const v1::Envelope& e, int64_t, int64_t) override {
    if (fail_events) return make_error(ErrorCode::kIo, "disk full");
    return events.insert({e.device_id(), e.boot_id(), e.seq()}).second;
  }
  Expected<Completion> complete_command(const std::string& device, const v1::CommandResult& r, int64_t) override {
    auto it = commands.find(r.command_id());
    if (it == commands.end() || it->second.first != device) return Completion::kUnknown;
    if (it->second.second) return Completion::kAlreadyDone;
    it->second.second = true;
    return Completion::kCompleted;
  }
  Status store_device(const DeviceRecord& r) override {
    ++stores;
    devices[r.device_id] = r;
    return {};
  }

  std::map<std::string, DeviceRecord> devices;
  std::set<std::tuple<std::string, std::string, uint64_t>> events;
  std::map<std::string, std::pair<std::string, bool>> commands;  // id -> (device, done)
  bool fail_events = false;
  int loads = 0, stores = 0;
};

TEST(RegistryIngest, RulesDecideEachItemAndEachDeviceIsReadAndWrittenOnce) {
  MemoryTarget target;
  target.commands["cmd-1"] = {"poster-1", false};
  Who who;
  Who other_site{"poster-2", "site-b"};
  auto out = apply_batch(batch("edge-1", 1,
                               {presence_item(who, 2, true), presence_item(who, 1, false),  // older session: stale
                                event_item(who, 7), event_item(who, 7),                     // the copy: duplicate
                                poster_status_item(who, kT0, 40), poster_status_item(who, kT0 - 1, 90),  // older
                                result_item(who, 8, "cmd-1"), result_item(who, 9, "cmd-1"),
                                result_item(who, 10, "not-mine"), event_item(other_site, 1)}),
                         target, kT0);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->accepted, 4u);    // presence, event, status, result
  EXPECT_EQ(out->duplicates, 4u);  // stale presence, event copy, older status, result copy
  EXPECT_EQ(out->rejected, 2u);
  EXPECT_EQ(out->rejects.at("unknown_command"), 1u);
  EXPECT_EQ(out->rejects.at("identity_mismatch"), 1u);
  EXPECT_EQ(out->commands_completed, 1u);
  EXPECT_EQ(target.loads, 1);
  EXPECT_EQ(target.stores, 1);
  const DeviceRecord& d = target.devices.at("poster-1");
  EXPECT_TRUE(d.online);
  EXPECT_EQ(d.session_seq, 2);
  EXPECT_EQ(d.highest_seq, 10);
  EXPECT_EQ(d.events_stored, 1);
  EXPECT_EQ(d.last_status_device_ms, kT0);
  EXPECT_EQ(d.edge_id, "edge-1");
  EXPECT_EQ(target.devices.count("poster-2"), 0u);  // a rejected item touches nothing
}

TEST(RegistryIngest, TheNewestMessageDecidesTheEdgeAndAnOldResendDoesNotMoveItBack) {
  MemoryTarget target;
  Who who;
  ASSERT_TRUE(apply_batch(batch("edge-new", 1, {event_item(who, 2, kT0 + 1000)}), target, kT0).ok());
  ASSERT_TRUE(apply_batch(batch("edge-old", 1, {event_item(who, 1, kT0)}), target, kT0).ok());
  EXPECT_EQ(target.devices.at("poster-1").edge_id, "edge-new");
  EXPECT_EQ(target.devices.at("poster-1").last_seen_ms, kT0 + 1000);
}

TEST(RegistryIngest, AFailedStorageStepFailsTheBatchBeforeAnyDeviceIsWritten) {
  MemoryTarget target;
  target.fail_events = true;
  auto out = apply_batch(batch("edge-1", 1, {presence_item(Who{}, 1, true), event_item(Who{}, 1)}), target, kT0);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ErrorCode::kIo);
  EXPECT_EQ(target.stores, 0);
}

}  // namespace
}  // namespace tidewire::cloud

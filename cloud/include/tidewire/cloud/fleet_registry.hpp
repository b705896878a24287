#pragma once
// The cloud's store of devices, their events and the commands sent to them.
// One interface, one backend today (platform/sqlite/SqliteRegistry); PostgreSQL is the
// planned second one for several cloud instances sharing state.
//
// Ingest rules (docs/protocol.md), implemented once for every backend by apply_batch()
// (registry_ingest.hpp):
// - a batch is applied in one transaction: all of it is on disk, or none of it;
// - events are keyed by (device, boot, seq): a re-sent event is a duplicate, absorbed;
// - status is latest-wins by device time; an older or equal one is stale, absorbed;
// - presence keeps the highest (session_seq, offline-after-online): an old connection's
//   will never marks a reconnected device offline;
// - a result completes its command once; later copies are duplicates;
// - an item that fails validation is rejected and counted, but still acknowledged so the
//   edge does not re-send it forever.
// A device is reported online when its last presence said so AND it was seen within
// offline_after_ms: an edge that died cannot deliver the will, so silence counts too.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/v1/edge.pb.h"
#include "tidewire/v1/fleet.pb.h"

namespace tidewire::cloud {

// What one batch did: the numbers for the BatchAck and the metrics.
struct IngestOutcome {
  uint32_t accepted = 0;                    // newly stored or applied
  uint32_t duplicates = 0;                  // already stored, or stale (older status / presence)
  uint32_t rejected = 0;                    // failed validation; see rejects
  std::map<std::string, uint32_t> rejects;  // reason -> count
  // (item type, outcome) -> count; types event|status|presence|result,
  // outcomes accepted|duplicate|stale|rejected.
  std::map<std::pair<std::string, std::string>, uint32_t> items;
  uint32_t commands_completed = 0;
};

struct DeviceQuery {
  std::optional<v1::DeviceKind> kind;
  std::optional<std::string> site;
  std::optional<bool> online;
  std::string after_device_id;  // exclusive start for paging; "" = from the first device
  int limit = 100;
};

struct DevicePage {
  std::vector<v1::Device> devices;  // ordered by device_id
  bool more = false;                // another page follows the last device here
};

struct CommandRecord {
  v1::CommandView view;
  int64_t sent_ms = 0;              // last time it was handed to an edge; 0 = never
  std::string idempotency_key;      // "" = none
  std::string request_fingerprint;  // what the key was used for, to detect a reused key
  std::string edge_id;              // the edge the device was last seen through (read only)
  std::string body;                 // Command.body (e.g. an encoded dispatch Offer); "" = none
};

class FleetRegistry {
 public:
  virtual ~FleetRegistry() = default;

  // Applies a decoded batch in one transaction and commits. Only after this returns ok may
  // the caller acknowledge the batch. An error means nothing was stored.
  virtual Expected<IngestOutcome> ingest(const v1::EdgeBatch& batch) = 0;

  virtual Expected<v1::FleetSummary> summary() = 0;
  virtual Expected<DevicePage> list_devices(const DeviceQuery& query) = 0;
  // kNotFound for a device never seen.
  virtual Expected<v1::Device> device(const std::string& device_id) = 0;
  // Events of a device with seq > after_seq, by seq, at most `limit`.
  virtual Expected<std::vector<v1::StoredEvent>> events(const std::string& device_id, uint64_t after_seq,
                                                        int limit) = 0;

  // Stores a new command. With an idempotency key already used, stores nothing and returns
  // the earlier command with inserted=false; the caller compares fingerprints.
  struct CommandInsert {
    CommandRecord record;
    bool inserted = false;
  };
  virtual Expected<CommandInsert> insert_command(const CommandRecord& record) = 0;
  virtual Expected<CommandRecord> command(const std::string& command_id) = 0;
  virtual Status mark_sent(const std::vector<std::string>& command_ids, int64_t sent_ms) = 0;
  // PENDING commands, and SENT ones last sent at or before resend_before_ms, whose deadline
  // is after now_ms; oldest first, at most `limit`.
  virtual Expected<std::vector<CommandRecord>> due_commands(int64_t resend_before_ms, int64_t now_ms, int limit) = 0;
  // PENDING/SENT commands whose deadline has passed become EXPIRED; returns how many.
  virtual Expected<uint64_t> expire_commands(int64_t now_ms) = 0;
  virtual Expected<std::map<v1::CommandState, uint64_t>> command_counts() = 0;

  // The store answers a trivial query (health checks).
  virtual Status check() = 0;
};
using FleetRegistryPtr = std::unique_ptr<FleetRegistry>;

}  // namespace tidewire::cloud

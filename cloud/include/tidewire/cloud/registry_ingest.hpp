#pragma once
// The fleet registry's ingest rules, written once for every backend (fleet_registry.hpp
// states them). A backend implements the few storage steps of an IngestTarget inside its
// own transaction and calls apply_batch(); the rules decide which steps run and what
// each item counts as:
//
// - an item failing codec::validate_envelope, or claiming another site than the batch's
//   edge, is rejected (reason as the edge names it) and touches nothing;
// - an event is stored unless (device, boot, seq) already is: new = accepted, else duplicate;
// - a status replaces the stored one only if its device time is newer: else stale;
// - presence keeps the highest (session_seq, offline-after-online): else stale;
// - a result completes its command once (duplicate after), unknown_command when the
//   command is not this device's;
// - events and results raise the device's highest seq;
// - the newest message (by edge receive time) decides the device's edge, site, kind and
//   boot; re-sent old batches do not move it back; until its first presence, any message
//   from a device means it is connected.
#include <cstdint>
#include <string>

#include "tidewire/cloud/fleet_registry.hpp"

namespace tidewire::cloud {

// A device as ingest sees it: read once per batch, changed in memory, written once.
struct DeviceRecord {
  std::string device_id;
  int64_t kind = 0;
  std::string site;
  std::string edge_id;
  bool online = false;
  int64_t session_seq = -1;  // -1: no presence seen yet
  int64_t last_seen_ms = 0;
  std::string boot_id;
  int64_t highest_seq = 0;
  int64_t events_stored = 0;
  bool has_status = false;
  std::string last_status;  // serialized v1::Status
  int64_t last_status_ms = 0;
  int64_t last_status_device_ms = 0;
};

// The storage steps of one batch, all inside the backend's transaction.
class IngestTarget {
 public:
  virtual ~IngestTarget() = default;
  // The stored record, or a fresh one (only device_id set) for a device never seen.
  virtual Expected<DeviceRecord> load_device(const std::string& device_id) = 0;
  // Stores the event unless its (device, boot, seq) is stored; true when it was new.
  virtual Expected<bool> insert_event(const v1::Envelope& envelope, int64_t received_ms, int64_t now_ms) = 0;
  enum class Completion { kCompleted, kAlreadyDone, kUnknown };
  // Completes the device's command with this result, once.
  virtual Expected<Completion> complete_command(const std::string& device_id, const v1::CommandResult& result,
                                                int64_t now_ms) = 0;
  virtual Status store_device(const DeviceRecord& record) = 0;
};

// Applies every item of `batch` through `target` and stores each touched device once. An
// error means a storage step failed: the caller rolls its transaction back.
Expected<IngestOutcome> apply_batch(const v1::EdgeBatch& batch, IngestTarget& target, int64_t now_ms);

// Seen within this many ms before now counts as online (with an online presence).
inline int64_t online_threshold_ms(int64_t now_ms, int64_t offline_after_ms) {
  return now_ms - offline_after_ms;
}

}  // namespace tidewire::cloud

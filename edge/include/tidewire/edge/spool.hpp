#pragma once
// The edge's durable queue between the site and the cloud. A row is one validated device
// message; it stays until the cloud's BatchAck lists its id, or until a bound drops it.
//
// One append() is one transaction that also persists the delivery cursors and the known
// devices the same group changed: the relay acks a device only after append() returned
// ok, so a crash either keeps both the rows and the cursor that covers them, or neither.
//
// Bounds: total bytes and row age. Over the byte bound the spool drops LOW rows first,
// then NORMAL, then HIGH, oldest first within a priority; every drop is reported back so
// the caller can count it.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/edge/device_cursors.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::edge {

enum class RowKind { kEvent = 0, kResult = 1, kPresence = 2, kStatus = 3 };
const char* row_kind_name(RowKind kind);

// Drop order, lowest first. Deliberately not v1::Priority's numbering (NORMAL = 0 there).
enum class DropRank { kLow = 0, kNormal = 1, kHigh = 2 };
inline constexpr std::array<DropRank, 3> kDropOrder{DropRank::kLow, DropRank::kNormal, DropRank::kHigh};
const char* drop_rank_name(DropRank rank);

struct NewRow {
  std::string device;
  std::string boot;
  uint64_t seq = 0;
  RowKind kind = RowKind::kEvent;
  DropRank rank = DropRank::kNormal;
  int64_t received_ms = 0;  // edge wall clock
  std::string bytes;        // the Envelope exactly as the device sent it (validated)
};

struct SpoolRow {
  int64_t id = 0;
  NewRow row;
};

struct SpoolWrite {
  std::vector<NewRow> rows;  // status rows replace the device's older status row
  std::vector<CursorRecord> cursors;
  std::vector<topics::DeviceAddress> devices;  // new or changed known devices (upserted)
};

struct DropCounts {
  std::array<uint64_t, 3> by_rank{};  // indexed by DropRank
  uint64_t total() const { return by_rank[0] + by_rank[1] + by_rank[2]; }
};

struct AppendResult {
  std::vector<int64_t> ids;       // ids given to SpoolWrite::rows, in order
  uint64_t status_replaced = 0;   // older status rows superseded
  DropCounts dropped;             // rows dropped to stay under the byte bound
};

struct SpoolStats {
  uint64_t rows = 0;
  uint64_t bytes = 0;
  int64_t max_id = 0;
};

class Spool {
 public:
  virtual ~Spool() = default;

  virtual Expected<AppendResult> append(const SpoolWrite& write) = 0;
  // Rows with id > after_id in id order: at most max_rows, and at most max_bytes of row
  // bytes except that the first row is always returned.
  virtual Expected<std::vector<SpoolRow>> read_after(int64_t after_id, size_t max_rows, size_t max_bytes) = 0;
  // Deletes exactly these ids (ids already gone are ignored). Returns how many went.
  virtual Expected<uint64_t> remove(const std::vector<int64_t>& ids) = 0;
  // Drops rows received before cutoff_ms and cursors idle since then.
  virtual Expected<DropCounts> expire(int64_t cutoff_ms) = 0;

  virtual Expected<std::vector<CursorRecord>> load_cursors() = 0;
  virtual Expected<std::vector<topics::DeviceAddress>> load_devices() = 0;
  virtual SpoolStats stats() const = 0;
};
using SpoolPtr = std::unique_ptr<Spool>;

}  // namespace tidewire::edge

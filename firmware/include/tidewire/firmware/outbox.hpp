#pragma once
// The device's durable queue of events and command results, numbered by seq.
//
// A message is appended before it is published and deleted only when the edge acks it
// (cumulatively, "every seq <= N is on my disk"). The outbox is bounded by bytes and by
// age; under pressure it drops LOW first, then NORMAL, then HIGH, oldest first within a
// priority, and never drops a row that outranks the newcomer (the newcomer is refused
// instead). Every drop is counted by priority and reason.
//
// Two implementations share one retention policy (OutboxIndex): SqliteOutbox for boards
// (survives kill -9 and power loss) and MemoryOutbox for the simulator's virtual fleets.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/v1/device.pb.h"

namespace tidewire::firmware {

// Which topic a row is published on.
enum class OutboxChannel : uint8_t { kEvent = 0, kResult = 1 };

enum class DropReason : uint8_t { kFull = 0, kAge = 1 };
inline constexpr size_t kDropReasons = 2;
const char* drop_reason_name(DropReason reason);

// Priorities ranked by what survives longest: LOW (0) < NORMAL (1) < HIGH (2). The proto
// enum numbers them NORMAL=0 so that an unset field means NORMAL; this is the drop order.
inline constexpr size_t kPriorityRanks = 3;
size_t priority_rank(v1::Priority priority);
v1::Priority priority_of_rank(size_t rank);
const char* priority_label(v1::Priority priority);

struct OutboxEntry {
  v1::Priority priority = v1::PRIORITY_NORMAL;
  OutboxChannel channel = OutboxChannel::kEvent;
  // Encoded Envelope with seq 0: the outbox owns numbering, and the sender fills seq (and
  // an event's outbox_floor_seq) in at publish time.
  std::string envelope;
  // Set for command results: remembered under this id in the same step as the append,
  // so a crash can never leave a command executed but not remembered.
  std::string command_id;
};

struct OutboxRecord {
  uint64_t seq = 0;
  v1::Priority priority = v1::PRIORITY_NORMAL;
  OutboxChannel channel = OutboxChannel::kEvent;
  int64_t created_ms = 0;  // wall clock at append
  std::string envelope;
};

struct RememberedResult {
  uint64_t seq = 0;      // seq the result was first appended under
  std::string envelope;  // as appended (seq 0)
};

struct OutboxLimits {
  uint64_t max_bytes = 16 * 1024 * 1024;
  int64_t max_age_ms = 7LL * 24 * 3600 * 1000;
  size_t remembered_results = 256;
};

struct OutboxStats {
  uint64_t rows = 0;
  uint64_t bytes = 0;
  uint64_t appended = 0;
  uint64_t acked = 0;
  // dropped[rank][reason], rank as priority_rank().
  std::array<std::array<uint64_t, kDropReasons>, kPriorityRanks> dropped{};
  uint64_t dropped_total() const;
  uint64_t dropped_count(v1::Priority priority, DropReason reason) const {
    return dropped[priority_rank(priority)][static_cast<size_t>(reason)];
  }
};

class Outbox {
 public:
  virtual ~Outbox() = default;

  // Stores the entry under the next seq (allocated in the same step, so a seq is never
  // reused, even after a crash) and returns that seq. May evict lower-or-equal priority
  // rows to make room; refuses (kTooLarge) when that is not enough.
  virtual Expected<uint64_t> append(OutboxEntry entry) = 0;
  // Held rows with seq > after_seq, in seq order, at most limit of them.
  virtual Expected<std::vector<OutboxRecord>> pending(uint64_t after_seq, size_t limit) = 0;
  // Deletes every row with seq <= seq; returns how many were deleted.
  virtual Expected<size_t> ack_up_to(uint64_t seq) = 0;
  // Drops rows older than the age bound; returns how many.
  virtual Expected<size_t> expire() = 0;

  // Lowest seq still held; last_seq() + 1 when nothing is held.
  virtual uint64_t floor_seq() const = 0;
  // Highest seq ever allocated (0 before the first append).
  virtual uint64_t last_seq() const = 0;
  // Bumps and returns the persistent per-device presence counter.
  virtual Expected<uint64_t> next_session_seq() = 0;

  virtual std::optional<RememberedResult> recall_result(const std::string& command_id) const = 0;
  virtual OutboxStats stats() const = 0;
};
using OutboxPtr = std::unique_ptr<Outbox>;

// Metrics shared by both implementations. Gauges move by deltas, so many outboxes in one
// process (the simulator's fleet) sum into fleet-wide totals.
class OutboxMetrics {
 public:
  explicit OutboxMetrics(MetricsRegistry& registry);
  void appended(uint64_t bytes);
  void removed(uint64_t rows, uint64_t bytes);
  void acked(uint64_t rows);
  void dropped(v1::Priority priority, DropReason reason);

 private:
  Gauge& rows_;
  Gauge& bytes_;
  Counter& appended_;
  Counter& acked_;
  std::array<std::array<Counter*, kDropReasons>, kPriorityRanks> dropped_{};
};

}  // namespace tidewire::firmware

#pragma once
// The counters a DeviceSession moves. Resolved once per session; gauges move by deltas
// so a fleet of sessions in one registry sums into fleet-wide values.
#include <array>
#include <cstdint>
#include <string>

#include "tidewire/common/metrics.hpp"
#include "tidewire/v1/device.pb.h"

namespace tidewire::firmware {

enum class Published : uint8_t { kStatus = 0, kEvent, kResult, kPresence };
inline constexpr size_t kPublishedKinds = 4;

// Why an incoming message was dropped: the edge's reject reasons plus bad_topic.
enum class RejectReason : uint8_t { kBadTopic = 0, kOversize, kMalformed, kInvalidField, kIdentityMismatch };
inline constexpr size_t kRejectReasons = 5;
const char* reject_reason_name(RejectReason reason);

class SessionMetrics {
 public:
  explicit SessionMetrics(MetricsRegistry& registry);
  ~SessionMetrics();  // takes this session's share out of the gauges
  SessionMetrics(const SessionMetrics&) = delete;
  SessionMetrics& operator=(const SessionMetrics&) = delete;

  void published(Published kind) { published_[static_cast<size_t>(kind)]->inc(); }
  void publish_failed(Published kind) { publish_failed_[static_cast<size_t>(kind)]->inc(); }
  void rejected(RejectReason reason) { rejects_[static_cast<size_t>(reason)]->inc(); }
  void command(v1::CommandOutcome outcome);
  void set_connected(bool up);
  void set_unacked(size_t n);

  Counter& connections;
  Counter& disconnects;
  Counter& stale_reconnects;
  Counter& resent;
  Counter& resend_timeouts;
  Counter& deferred;
  Counter& acks;
  Counter& duplicate_commands;
  Counter& late_replies;
  Counter& pending_full;
  Counter& events;
  Counter& events_refused;

 private:
  std::array<Counter*, kPublishedKinds> published_{};
  std::array<Counter*, kPublishedKinds> publish_failed_{};
  std::array<Counter*, kRejectReasons> rejects_{};
  std::array<Counter*, 5> commands_{};  // by CommandOutcome
  Gauge& connected_;
  Gauge& unacked_;
  bool is_connected_ = false;
  int64_t unacked_now_ = 0;
};

// Lets a WARN through at most once per period and says how many were held back, so a
// device flooded with bad input logs a line every few seconds, not thousands.
class LogThrottle {
 public:
  explicit LogThrottle(int64_t period_ms = 10'000) : period_ms_(period_ms) {}
  // True when a line may be logged now; suppressed() then says how many were skipped.
  bool allow(int64_t now_ms);
  uint64_t suppressed() const { return reported_suppressed_; }

 private:
  int64_t period_ms_;
  int64_t next_ms_ = 0;
  uint64_t suppressed_ = 0;
  uint64_t reported_suppressed_ = 0;
};

}  // namespace tidewire::firmware

#include "tidewire/firmware/session_metrics.hpp"

namespace tidewire::firmware {
namespace {

const char* published_name(size_t kind) {
  switch (kind) {
    case 0: return "status";
    case 1: return "event";
    case 2: return "result";
    default: return "presence";
  }
}

const char* outcome_name(size_t outcome) {
  switch (outcome) {
    case v1::COMMAND_OUTCOME_OK: return "ok";
    case v1::COMMAND_OUTCOME_FAILED: return "failed";
    case v1::COMMAND_OUTCOME_UNSUPPORTED: return "unsupported";
    case v1::COMMAND_OUTCOME_EXPIRED: return "expired";
    default: return "unspecified";
  }
}

}  // namespace

const char* reject_reason_name(RejectReason reason) {
  switch (reason) {
    case RejectReason::kBadTopic: return "bad_topic";
    case RejectReason::kOversize: return "oversize";
    case RejectReason::kMalformed: return "malformed";
    case RejectReason::kInvalidField: return "invalid_field";
    case RejectReason::kIdentityMismatch: return "identity_mismatch";
  }
  return "?";
}

SessionMetrics::SessionMetrics(MetricsRegistry& r)
    : connections(r.counter("tw_agent_connections_total", "Broker connections established")),
      disconnects(r.counter("tw_agent_disconnects_total", "Broker connections lost")),
      stale_reconnects(r.counter("tw_agent_stale_reconnects_total",
                                 "Connections the transport made with an already used will; renewed")),
      resent(r.counter("tw_agent_resent_total", "Outbox rows published again (no ack in time, or reconnect)")),
      resend_timeouts(r.counter("tw_agent_resend_timeouts_total", "Times the edge did not ack in time")),
      deferred(
          r.counter("tw_agent_publish_deferred_total", "Outbox sends put off because the in-flight window was full")),
      acks(r.counter("tw_agent_acks_total", "DeviceAcks applied")),
      duplicate_commands(r.counter("tw_agent_duplicate_commands_total",
                                   "Commands delivered again; answered with the remembered result")),
      late_replies(r.counter("tw_agent_late_command_replies_total",
                             "HAL replies to deferred commands already answered (expired) or unknown; dropped")),
      pending_full(r.counter("tw_agent_pending_commands_full_total",
                             "Deferred commands answered FAILED because too many were awaiting an answer")),
      events(r.counter("tw_agent_events_total", "Events appended to the outbox")),
      events_refused(r.counter("tw_agent_events_refused_total", "Events refused (invalid, too large, outbox full)")),
      connected_(r.gauge("tw_agent_connected", "Device sessions connected to their broker")),
      unacked_(r.gauge("tw_agent_unacked", "Outbox rows published and waiting for the edge's ack")) {
  for (size_t k = 0; k < kPublishedKinds; ++k) {
    published_[k] =
        &r.counter("tw_agent_published_total", "Messages published, by channel", {{"channel", published_name(k)}});
    publish_failed_[k] =
        &r.counter("tw_agent_publish_failed_total", "Publishes the transport refused (retried when durable)",
                   {{"channel", published_name(k)}});
  }
  for (size_t k = 0; k < kRejectReasons; ++k) {
    rejects_[k] = &r.counter("tw_agent_rejects_total", "Incoming messages dropped, by reason",
                             {{"reason", reject_reason_name(static_cast<RejectReason>(k))}});
  }
  for (size_t k = 0; k < commands_.size(); ++k) {
    commands_[k] =
        &r.counter("tw_agent_commands_total", "Commands answered, by outcome", {{"outcome", outcome_name(k)}});
  }
}

SessionMetrics::~SessionMetrics() {
  set_connected(false);
  set_unacked(0);
}

void SessionMetrics::command(v1::CommandOutcome outcome) {
  auto k = static_cast<size_t>(outcome);
  commands_[k < commands_.size() ? k : 0]->inc();
}

void SessionMetrics::set_connected(bool up) {
  if (up == is_connected_) return;
  is_connected_ = up;
  connected_.add(up ? 1 : -1);
}

void SessionMetrics::set_unacked(size_t n) {
  auto now = static_cast<int64_t>(n);
  unacked_.add(now - unacked_now_);
  unacked_now_ = now;
}

bool LogThrottle::allow(int64_t now_ms) {
  if (now_ms < next_ms_) {
    ++suppressed_;
    return false;
  }
  next_ms_ = now_ms + period_ms_;
  reported_suppressed_ = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace tidewire::firmware

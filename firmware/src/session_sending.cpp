// DeviceSession, outbox to transport: appending events, sending rows in seq order within
// the in-flight window and the unacked bound, re-sending after a timeout, drop reports.
#include <algorithm>

#include "session_internal.hpp"
#include "tidewire/firmware/device_session.hpp"
#include "tidewire/protocols/codec.hpp"

namespace tidewire::firmware {

using session_internal::clip;
using session_internal::kLog;
using session_internal::kNumberingRoom;
using session_internal::kReadBatch;

void DeviceSession::check_resend_timeout() {
  if (sent_.empty()) return;
  int64_t waited = clock_.steady_ms() - sent_.front().at_ms;
  if (waited < options_.resend_timeout_ms) return;
  metrics_.resend_timeouts.inc();
  TW_LOG(routine(), kLog,
         device_id() << ": no ack for seq " << sent_.front().seq << " after " << waited << " ms; re-sending from seq "
                     << outbox_.floor_seq());
  sent_.clear();
  metrics_.set_unacked(0);
  cursor_ = 0;
}

void DeviceSession::pump() {
  // Publish-done callbacks may arrive inside publish(); they ask for another pass
  // instead of nesting one.
  if (pumping_) {
    pump_again_ = true;
    return;
  }
  pumping_ = true;
  do {
    pump_again_ = false;
    pump_once();
  } while (pump_again_);
  pumping_ = false;
}

void DeviceSession::pump_once() {
  int64_t now = clock_.steady_ms();
  while (state_ == State::kOnline && sent_.size() < options_.max_unacked && cursor_ < outbox_.last_seq()) {
    size_t want = std::min(options_.max_unacked - sent_.size(), kReadBatch);
    auto rows = outbox_.pending(cursor_, want);
    if (!rows) {
      if (store_log_.allow(now)) TW_ERROR(kLog, device_id() << ": outbox read failed: " << rows.error().describe());
      break;
    }
    if (rows->empty()) {
      cursor_ = outbox_.last_seq();
      break;
    }
    for (const auto& row : *rows) {
      if (state_ != State::kOnline) break;
      auto st = publish_row(row);
      if (!st && st.error().code == ErrorCode::kUnavailable) {
        // Window full (or the connection just went): keep the row, try after a PUBACK.
        metrics_.deferred.inc();
        metrics_.set_unacked(sent_.size());
        return;
      }
      if (!st) {
        if (store_log_.allow(now))
          TW_ERROR(kLog, device_id() << ": outbox row seq " << row.seq << " not sent: " << st.error().describe());
      } else {
        if (row.seq <= highest_sent_) metrics_.resent.inc();
        highest_sent_ = std::max(highest_sent_, row.seq);
        sent_.push_back({row.seq, now});
      }
      cursor_ = row.seq;
    }
  }
  metrics_.set_unacked(sent_.size());
}

Status DeviceSession::publish_row(const OutboxRecord& row) {
  v1::Envelope env;
  if (!env.ParseFromString(row.envelope)) return make_error(ErrorCode::kMalformed, "stored envelope does not decode");
  env.set_seq(row.seq);
  bool result = row.channel == OutboxChannel::kResult;
  if (!result) env.mutable_event()->set_outbox_floor_seq(std::min(outbox_.floor_seq(), row.seq));
  auto kind = result ? Published::kResult : Published::kEvent;
  auto st = transport_.publish({result ? topics_.result : topics_.event, codec::encode(env), 1, false},
                               done_callback([](DeviceSession& self, const Status& done) {
                                 if (done) self.pump();  // window space freed
                               }));
  if (!st) {
    if (st.error().code != ErrorCode::kUnavailable) metrics_.publish_failed(kind);
    return st;
  }
  metrics_.published(kind);
  return {};
}

void DeviceSession::forget_sent_up_to(uint64_t seq) {
  while (!sent_.empty() && sent_.front().seq <= seq) sent_.pop_front();
  metrics_.set_unacked(sent_.size());
}

Status DeviceSession::record_event(const HalEvent& event) {
  int64_t now = clock_.steady_ms();
  auto refuse = [&](Error error) -> Status {
    metrics_.events_refused.inc();
    if (store_log_.allow(now))
      TW_WARN(kLog, device_id() << ": event '" << clip(event.type) << "' refused: " << error.describe());
    return error;
  };
  if (event.type.empty() || event.type.size() > 128)
    return refuse(make_error(ErrorCode::kInvalidArgument, "event type must be 1..128 bytes"));
  if (event.attributes.size() > codec::kMaxEventAttributes)
    return refuse(make_error(ErrorCode::kInvalidArgument,
                             "more than " + std::to_string(codec::kMaxEventAttributes) + " attributes"));
  v1::Envelope env = envelope();
  auto* e = env.mutable_event();
  e->set_type(event.type);
  e->set_priority(event.priority);
  for (const auto& [k, v] : event.attributes) (*e->mutable_attributes())[k] = v;
  std::string bytes = codec::encode(env);
  if (bytes.size() + kNumberingRoom > codec::kMaxEnvelopeBytes)
    return refuse(make_error(ErrorCode::kTooLarge, std::to_string(bytes.size()) + " bytes is over the envelope limit"));
  auto seq = outbox_.append({event.priority, OutboxChannel::kEvent, std::move(bytes), ""});
  note_drops();
  if (!seq) return refuse(seq.error());
  metrics_.events.inc();
  pump();
  return {};
}

void DeviceSession::note_drops() {
  OutboxStats s = outbox_.stats();
  uint64_t total = s.dropped_total();
  if (total == drops_logged_ || !drop_log_.allow(clock_.steady_ms())) return;
  auto by_rank = [&](v1::Priority p) {
    return s.dropped_count(p, DropReason::kFull) + s.dropped_count(p, DropReason::kAge);
  };
  TW_WARN(kLog, device_id() << ": outbox gave up " << total - drops_logged_
                            << " rows (so far low=" << by_rank(v1::PRIORITY_LOW)
                            << " normal=" << by_rank(v1::PRIORITY_NORMAL) << " high=" << by_rank(v1::PRIORITY_HIGH)
                            << "); holds " << s.rows << " rows, " << s.bytes << " bytes");
  drops_logged_ = total;
}

}  // namespace tidewire::firmware

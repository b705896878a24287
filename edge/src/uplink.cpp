#include "tidewire/edge/uplink.hpp"

#include <algorithm>
#include <limits>

#include "tidewire/common/log.hpp"
#include "tidewire/protocols/batch_frame.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::edge {
namespace {
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
// How soon to retry a publish the transport refused (window full, connection racing).
constexpr int64_t kRetryMs = 50;
constexpr const char* kLog = "edge.uplink";
}  // namespace

Uplink::Uplink(UplinkOptions options, Spool& spool, transport::Transport& cloud, const Clock& clock,
               EdgeMetrics& metrics)
    : options_(std::move(options)), spool_(spool), cloud_(cloud), clock_(clock), metrics_(metrics),
      log_limit_(clock) {
  if (options_.drain_rate > 0) {
    bucket_.emplace(options_.drain_rate, static_cast<double>(options_.max_items), clock_);
  }
}

Status Uplink::start() {
  auto topic = topics::edge_topic(options_.edge_id, topics::EdgeChannel::kBatch);
  if (!topic) return topic.error();
  topic_ = *topic;
  SpoolStats stats = spool_.stats();
  unread_rows_ = stats.rows;
  unread_bytes_ = stats.bytes;
  // A backlog left by the previous run is due at once.
  unread_since_ms_ = stats.rows > 0 ? clock_.steady_ms() - options_.max_delay_ms : -1;
  return {};
}

void Uplink::on_rows_appended(size_t n, size_t bytes) {
  if (n == 0) return;
  if (unread_rows_ == 0) unread_since_ms_ = clock_.steady_ms();
  unread_rows_ += n;
  unread_bytes_ += bytes;
}

void Uplink::on_connection(bool up) {
  connected_ = up;
  metrics_.uplink_connected.set(up ? 1 : 0);
  if (up) {
    // The cloud may have missed anything published before the drop (clean sessions,
    // QoS1 without a session is only as good as the connection): send the window again.
    for (auto& [id, b] : inflight_) b.sent = false;
    TW_INFO(kLog, "connected to cloud broker; " << inflight_.size() << " unacked batches to re-send, ~"
                                                << unread_rows_ << " spooled rows waiting");
  } else {
    TW_WARN(kLog, "cloud broker connection lost; spooling (" << spool_.stats().rows << " rows, "
                                                              << spool_.stats().bytes << " bytes)");
  }
}

bool Uplink::batch_due(int64_t now) const {
  if (unread_rows_ == 0) return false;
  return unread_rows_ >= options_.max_items || unread_bytes_ >= options_.max_bytes ||
         now - unread_since_ms_ >= options_.max_delay_ms;
}

bool Uplink::publish(uint64_t batch_id, InFlight& batch, int64_t now) {
  transport::Message m{topic_, batch.frame, 1, false};
  if (auto st = cloud_.publish(std::move(m)); !st) {
    metrics_.batch_publish_failures.inc();
    uint64_t suppressed = 0;
    if (log_limit_.allow("publish", suppressed)) {
      TW_WARN(kLog, "batch " << batch_id << " not published, will retry: " << st.error().describe()
                             << (suppressed ? " (" + std::to_string(suppressed) + " similar suppressed)" : ""));
    }
    batch.sent = false;
    return false;
  }
  if (batch.ever_sent) metrics_.batches_resent.inc();
  else metrics_.batches_sent.inc();
  batch.sent = true;
  batch.ever_sent = true;
  batch.sent_ms = now;
  return true;
}

bool Uplink::send_new_batch(int64_t now) {
  auto rows = spool_.read_after(read_pos_, options_.max_items, options_.max_bytes);
  if (!rows) {
    metrics_.spool_errors.inc();
    TW_ERROR(kLog, "cannot read the spool: " << rows.error().describe());
    return false;
  }
  if (rows->empty()) {
    unread_rows_ = 0;
    unread_bytes_ = 0;
    unread_since_ms_ = -1;
    return false;
  }
  if (bucket_) bucket_->try_take(static_cast<double>(rows->size()));

  v1::EdgeBatch batch;
  batch.set_edge_id(options_.edge_id);
  batch.set_site(options_.site);
  batch.set_edge_time_ms(clock_.wall_ms());
  std::vector<int64_t> corrupt;
  size_t row_bytes = 0;
  InFlight flight;
  for (auto& r : *rows) {
    row_bytes += r.row.bytes.size();
    auto* item = batch.add_items();
    if (!item->mutable_envelope()->ParseFromString(r.row.bytes)) {
      // Validated before it was spooled, so this is disk damage: nothing can repair it.
      batch.mutable_items()->RemoveLast();
      corrupt.push_back(r.id);
      continue;
    }
    item->set_edge_received_ms(r.row.received_ms);
    batch.add_spool_ids(static_cast<uint64_t>(r.id));
    flight.ids.push_back(r.id);
  }
  read_pos_ = rows->back().id;
  unread_rows_ -= std::min(unread_rows_, rows->size());
  unread_bytes_ -= std::min(unread_bytes_, row_bytes);
  if (unread_rows_ == 0) unread_since_ms_ = -1;
  if (!corrupt.empty()) {
    metrics_.spool_corrupt.inc(corrupt.size());
    TW_ERROR(kLog, corrupt.size() << " spool rows no longer decode; deleting them");
    if (auto st = spool_.remove(corrupt); !st) metrics_.spool_errors.inc();
  }
  if (batch.items_size() == 0) return true;

  auto batch_id = static_cast<uint64_t>(flight.ids.back());
  batch.set_batch_id(batch_id);
  size_t raw = batch.ByteSizeLong();
  flight.frame = codec::encode_batch_frame(batch, options_.zstd_level);
  metrics_.batch_items.observe(static_cast<double>(batch.items_size()));
  metrics_.batch_bytes.observe(static_cast<double>(flight.frame.size()));
  metrics_.compression_ratio.observe(static_cast<double>(raw) / static_cast<double>(std::max<size_t>(1, flight.frame.size())));
  metrics_.uplink_raw_bytes.inc(raw);
  metrics_.uplink_frame_bytes.inc(flight.frame.size());
  TW_DEBUG(kLog, "batch " << batch_id << ": " << batch.items_size() << " items, " << raw << " -> "
                          << flight.frame.size() << " bytes");
  auto [it, inserted] = inflight_.insert_or_assign(batch_id, std::move(flight));
  (void)inserted;
  publish(batch_id, it->second, now);
  metrics_.batches_inflight.set(static_cast<int64_t>(inflight_.size()));
  return true;
}

int64_t Uplink::tick() {
  if (!connected_) return kNever;
  int64_t now = clock_.steady_ms();
  int64_t wake = kNever;

  for (auto& [id, b] : inflight_) {
    if (!b.sent || now - b.sent_ms >= options_.ack_timeout_ms) {
      if (b.sent) TW_INFO(kLog, "batch " << id << " not acked in " << options_.ack_timeout_ms << " ms; re-sending");
      if (!publish(id, b, now)) {
        wake = std::min(wake, now + kRetryMs);
        break;  // the transport refuses; the rest would be refused too
      }
    }
    wake = std::min(wake, b.sent_ms + options_.ack_timeout_ms);
  }

  while (inflight_.size() < options_.window && batch_due(now)) {
    if (bucket_) {
      double want = static_cast<double>(std::min(unread_rows_, options_.max_items));
      int64_t wait = bucket_->ms_until(want);
      if (wait > 0) {
        if (paced_until_ms_ < now) metrics_.pacing_waits.inc();
        paced_until_ms_ = now + wait;
        wake = std::min(wake, now + wait);
        break;
      }
    }
    if (!send_new_batch(now)) break;
    auto& newest = inflight_.rbegin()->second;
    if (!newest.sent) {
      wake = std::min(wake, now + kRetryMs);
      break;
    }
    wake = std::min(wake, newest.sent_ms + options_.ack_timeout_ms);
  }
  if (inflight_.size() < options_.window && unread_rows_ > 0 && unread_since_ms_ >= 0) {
    wake = std::min(wake, std::max(now, unread_since_ms_ + options_.max_delay_ms));
  }
  return wake;
}

void Uplink::on_ack(const v1::BatchAck& ack) {
  std::vector<int64_t> ids;
  ids.reserve(static_cast<size_t>(ack.spool_ids_size()));
  for (uint64_t id : ack.spool_ids()) ids.push_back(static_cast<int64_t>(id));
  auto removed = spool_.remove(ids);
  if (!removed) {
    // The batch stays in flight and is re-sent; the cloud absorbs the duplicate.
    metrics_.spool_errors.inc();
    TW_ERROR(kLog, "cannot delete acked rows of batch " << ack.batch_id() << ": " << removed.error().describe());
    return;
  }
  metrics_.items_accepted.inc(ack.accepted());
  metrics_.items_duplicate.inc(ack.duplicates());
  metrics_.items_rejected.inc(ack.rejected());
  if (ack.rejected() > 0) {
    TW_WARN(kLog, "cloud rejected " << ack.rejected() << " items of batch " << ack.batch_id()
                                    << " (see the cloud's reject metrics)");
  }
  auto it = inflight_.find(ack.batch_id());
  if (it != inflight_.end()) {
    inflight_.erase(it);
    metrics_.batches_acked.inc();
  } else {
    // An ack for a batch from before a restart, or a second ack after a re-send.
    metrics_.batch_acks_unknown.inc();
  }
  metrics_.batches_inflight.set(static_cast<int64_t>(inflight_.size()));
  SpoolStats stats = spool_.stats();
  metrics_.spool_rows.set(static_cast<int64_t>(stats.rows));
  metrics_.spool_bytes.set(static_cast<int64_t>(stats.bytes));
}

}  // namespace tidewire::edge

#include "tidewire/cloud/batch_ingest.hpp"

#include "tidewire/common/log.hpp"
#include "tidewire/protocols/batch_frame.hpp"
#include "tidewire/protocols/codec.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::cloud {
namespace {

FrameReject frame_reject_reason(ErrorCode code) {
  return code == ErrorCode::kTooLarge ? FrameReject::kOversize : FrameReject::kMalformed;
}

}  // namespace

BatchIngest::BatchIngest(FleetRegistry& registry, transport::Transport& transport, MetricsRegistry& metrics,
                         Clock& clock, IngestOptions options)
    : registry_(registry),
      transport_(transport),
      metrics_(metrics),
      clock_(clock),
      options_(options),
      warnings_(clock) {}

BatchIngest::~BatchIngest() {
  stop();
}

void BatchIngest::start() {
  std::lock_guard lock(mu_);
  if (worker_.joinable() || stopping_) return;
  worker_ = std::thread([this] { run(); });
}

void BatchIngest::stop() {
  size_t dropped = 0;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    dropped = queue_.size();
    queue_.clear();
    queue_bytes_ = 0;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  if (dropped > 0) {
    metrics_.dropped.inc(dropped);
    TW_INFO("cloud", "stopping: " << dropped << " queued batch(es) left unacked; their edges will re-send them");
  }
  metrics_.queue_depth.set(0);
  metrics_.queue_bytes.set(0);
}

bool BatchIngest::submit(transport::Message message) {
  size_t depth = 0, bytes = 0;
  {
    std::lock_guard lock(mu_);
    bool full =
        queue_.size() >= options_.max_queue_frames || queue_bytes_ + message.payload.size() > options_.max_queue_bytes;
    if (stopping_) {
      metrics_.dropped.inc();
      return false;
    }
    if (full) {
      metrics_.queue_full.inc();
      warn_rate_limited("queue_full", "ingest queue full (" + std::to_string(queue_.size()) +
                                          " frames): dropping a batch unacked; its edge will re-send it");
      return false;
    }
    queue_bytes_ += message.payload.size();
    queue_.push_back(std::move(message));
    depth = queue_.size();
    bytes = queue_bytes_;
  }
  cv_.notify_one();
  metrics_.queue_depth.set(static_cast<int64_t>(depth));
  metrics_.queue_bytes.set(static_cast<int64_t>(bytes));
  return true;
}

size_t BatchIngest::queue_depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void BatchIngest::run() {
  while (true) {
    transport::Message message;
    size_t depth = 0, bytes = 0;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      message = std::move(queue_.front());
      queue_.pop_front();
      queue_bytes_ -= message.payload.size();
      depth = queue_.size();
      bytes = queue_bytes_;
    }
    metrics_.queue_depth.set(static_cast<int64_t>(depth));
    metrics_.queue_bytes.set(static_cast<int64_t>(bytes));
    process(message);
  }
}

void BatchIngest::process(const transport::Message& message) {
  auto topic = topics::parse_edge_topic(message.topic);
  if (!topic || topic->channel != topics::EdgeChannel::kBatch) {
    return reject_frame(FrameReject::kBadTopic, message.topic, topic ? "not a batch topic" : topic.error().message);
  }
  auto batch = codec::decode_batch_frame(message.payload);
  if (!batch) return reject_frame(frame_reject_reason(batch.error().code), message.topic, batch.error().message);
  if (batch->edge_id() != topic->edge_id) {
    return reject_frame(FrameReject::kIdentityMismatch, message.topic,
                        "batch says edge '" + batch->edge_id() + "', topic says '" + topic->edge_id + "'");
  }
  if (!edge_serves_site(*batch, message.topic)) return;

  int64_t started = clock_.steady_ms();
  auto outcome = registry_.ingest(*batch);
  if (!outcome) {
    // Nothing was stored: no ack, the edge re-sends after its timeout.
    metrics_.batches_store_failed.inc();
    warn_rate_limited("store_failed", "storing batch " + std::to_string(batch->batch_id()) + " from edge " +
                                          batch->edge_id() + " failed, not acked: " + outcome.error().message);
    return;
  }
  metrics_.commit_ms.observe(static_cast<double>(clock_.steady_ms() - started));
  metrics_.batch_items.observe(static_cast<double>(batch->items_size()));
  for (const auto& [key, n] : outcome->items) metrics_.item(key.first, key.second).inc(n);
  metrics_.duplicates.inc(outcome->duplicates);
  auto stored = outcome->items.find({"event", "accepted"});
  if (stored != outcome->items.end()) {
    metrics_.events_stored.inc(stored->second);
  }
  for (const auto& [reason, n] : outcome->rejects) metrics_.item_reject(reason).inc(n);
  metrics_.commands_completed.inc(outcome->commands_completed);
  if (outcome->rejected > 0) {
    warn_rate_limited("item_rejects", "batch " + std::to_string(batch->batch_id()) + " from edge " + batch->edge_id() +
                                          ": " + std::to_string(outcome->rejected) +
                                          " item(s) rejected (see tw_cloud_rejects_total)");
  }

  if (!deliver_to_feed(*batch)) {
    // Stored, but what it asks of a module is not applied: no ack, so the edge re-sends
    // and the modules see these items again (duplicates to the registry).
    metrics_.batches_handoff_failed.inc();
    warn_rate_limited(
        "handoff_failed",
        "batch " + std::to_string(batch->batch_id()) + " from edge " + batch->edge_id() +
            " stored but not yet applied by a module (busy; see tw_cloud_feed_unsettled_total); not acked, the edge "
            "re-sends it");
    return;
  }

  v1::BatchAck ack;
  ack.set_edge_id(batch->edge_id());
  ack.set_batch_id(batch->batch_id());
  *ack.mutable_spool_ids() = batch->spool_ids();
  ack.set_accepted(outcome->accepted);
  ack.set_duplicates(outcome->duplicates);
  ack.set_rejected(outcome->rejected);
  auto ack_topic = topics::edge_topic(batch->edge_id(), topics::EdgeChannel::kAck);
  if (!ack_topic) return;  // edge id was valid to arrive on a topic; cannot happen
  // The callback may run after this BatchIngest is gone; the counter lives as long as the registry.
  auto* not_acknowledged = &metrics_.ack_not_acknowledged;
  auto st = transport_.publish({*ack_topic, codec::encode(ack), 1, false}, [not_acknowledged](const Status& done) {
    if (!done) not_acknowledged->inc();
  });
  if (!st) {
    // Stored but not acked: the edge re-sends and gets an ack of duplicates next time.
    metrics_.ack_publish_refused.inc();
    metrics_.batches_stored_unacked.inc();
    warn_rate_limited("ack_refused", "batch " + std::to_string(batch->batch_id()) +
                                         " stored but its ack could not be published: " + st.error().message);
    return;
  }
  metrics_.acks.inc();
  metrics_.batches_acked.inc();
  TW_DEBUG("cloud", "batch " << batch->batch_id() << " from " << batch->edge_id() << ": " << outcome->accepted
                             << " accepted, " << outcome->duplicates << " duplicates, " << outcome->rejected
                             << " rejected");
}

bool BatchIngest::deliver_to_feed(const v1::EdgeBatch& batch) {
  if (feed_ == nullptr) return true;
  return feed_->deliver(batch, [this](const std::string& device_id, const std::string& command_id) {
    auto command = registry_.command(command_id);
    if (!command || command->view.device_id() != device_id) return std::string();
    return command->view.name();
  });
}

bool BatchIngest::edge_serves_site(const v1::EdgeBatch& batch, const std::string& topic) {
  if (!edge_sites_) return true;
  auto site = edge_sites_->site_of(batch.edge_id());
  if (!site) {
    // Unknown for now, not refused: unacked, the edge re-sends it.
    metrics_.batches_store_failed.inc();
    warn_rate_limited("edge_sites", "cannot tell which site edge " + batch.edge_id() + " serves, batch " +
                                        std::to_string(batch.batch_id()) + " not acked: " + site.error().message);
    return false;
  }
  if (!*site) {
    reject_frame(FrameReject::kUnknownEdge, topic,
                 "edge '" + batch.edge_id() + "' was never provisioned in this cloud (tidewire-cloud provision edge " +
                     batch.edge_id() + " --site SITE)");
    return false;
  }
  if (batch.site() != **site) {
    reject_frame(FrameReject::kIdentityMismatch, topic,
                 "edge '" + batch.edge_id() + "' serves site '" + **site + "', its batch says '" +
                     batch.site().substr(0, 64) + "'");
    return false;
  }
  return true;
}

void BatchIngest::reject_frame(FrameReject reject, const std::string& topic, const std::string& why) {
  metrics_.frame_reject(reject).inc();
  metrics_.batches_rejected.inc();
  const char* reason = frame_reject_name(reject);
  warn_rate_limited(std::string("frame_") + reason,
                    std::string("rejected frame (") + reason + ") on '" + topic.substr(0, 200) + "': " + why);
}

void BatchIngest::warn_rate_limited(const std::string& key, const std::string& line) {
  uint64_t suppressed = 0;
  {
    std::lock_guard lock(warn_mu_);
    if (!warnings_.allow(key, suppressed)) return;
  }
  if (suppressed > 0) {
    TW_WARN("cloud", line << " (" << suppressed << " more like it suppressed)");
  } else {
    TW_WARN("cloud", line);
  }
}

}  // namespace tidewire::cloud

#pragma once
// Uplink batches in: frames arrive on the transport's thread and wait in a bounded
// queue; one worker decodes each, has the registry commit it, and only then publishes
// the BatchAck (QoS1) to the edge. A frame that cannot be queued, decoded or committed
// is not acked, so the edge re-sends it; the cloud absorbs the duplicates.
//
// Metrics: tw_cloud_ingest_queue_depth / _bytes (gauges), tw_cloud_ingest_queue_full_total,
// tw_cloud_batches_total{result}, tw_cloud_batch_items (histogram),
// tw_cloud_items_total{type,outcome}, tw_cloud_events_stored_total, tw_cloud_duplicates_total,
// tw_cloud_rejects_total{unit,reason}, tw_cloud_ingest_commit_ms (histogram),
// tw_cloud_commands_completed_total, tw_cloud_acks_total, tw_cloud_ack_failures_total{reason}.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "tidewire/cloud/device_feed.hpp"
#include "tidewire/cloud/edge_sites.hpp"
#include "tidewire/cloud/fleet_registry.hpp"
#include "tidewire/cloud/ingest_metrics.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/common/log_limiter.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/transport/transport.hpp"

namespace tidewire::cloud {

struct IngestOptions {
  size_t max_queue_frames = 256;
  size_t max_queue_bytes = 256u * 1024 * 1024;
};

class BatchIngest {
 public:
  BatchIngest(FleetRegistry& registry, transport::Transport& transport, MetricsRegistry& metrics, Clock& clock,
              IngestOptions options = {});
  ~BatchIngest();  // stop()
  BatchIngest(const BatchIngest&) = delete;
  BatchIngest& operator=(const BatchIngest&) = delete;

  // The modules' subscriptions to what devices report (device_feed.hpp): each batch is
  // delivered after it committed and acked only if the feed says so. Call before start().
  void set_feed(DeviceFeed& feed) { feed_ = &feed; }
  // Where each edge's site comes from. Set: a batch is taken only from a provisioned edge
  // and only for its own site (else rejected as unknown_edge or identity_mismatch, not
  // acked). Unset: the batch's own site field is believed, which only a deployment whose
  // broker credentials live outside this cloud should choose. Call before start().
  void set_edge_sites(EdgeSites& sites) { edge_sites_ = &sites; }
  // Starts the worker thread.
  void start();
  // Lets the frame being committed finish (and be acked), then stops the worker; frames
  // still queued are dropped unacked (their edges re-send them). Idempotent.
  void stop();

  // Called from the transport's message handler: never blocks. Returns false when the
  // queue is full (or stopping): the frame is dropped unacked and counted.
  bool submit(transport::Message message);
  // Decodes, stores and acks one frame on the calling thread (the worker's body; tests
  // call it directly).
  void process(const transport::Message& message);

  size_t queue_depth() const;

 private:
  void run();
  void reject_frame(FrameReject reason, const std::string& topic, const std::string& why);
  // True when the batch's edge may speak for the batch's site; otherwise rejects it (or,
  // when the store cannot say, leaves it unacked to be re-sent) and returns false.
  bool edge_serves_site(const v1::EdgeBatch& batch, const std::string& topic);
  // At most one WARN line per key (what went wrong) every 10 s, with a count of the rest.
  void warn_rate_limited(const std::string& key, const std::string& line);
  // False when a subscriber holding the ack did not apply its items: the batch is not acked.
  bool deliver_to_feed(const v1::EdgeBatch& batch);

  FleetRegistry& registry_;
  transport::Transport& transport_;
  IngestMetrics metrics_;
  Clock& clock_;
  IngestOptions options_;
  DeviceFeed* feed_ = nullptr;
  EdgeSites* edge_sites_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<transport::Message> queue_;
  size_t queue_bytes_ = 0;
  bool stopping_ = false;
  std::thread worker_;

  std::mutex warn_mu_;  // submit() warns on the transport's thread, process() on the worker
  LogLimiter warnings_;
};

}  // namespace tidewire::cloud

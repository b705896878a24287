#pragma once
// Every counter, gauge and histogram of BatchIngest, registered once so the ingest
// worker only touches atomics. Names, help texts and labels are the ones
// cloud/README.md lists under "Metrics".
#include <array>
#include <map>
#include <string>
#include <utility>

#include "tidewire/common/metrics.hpp"

namespace tidewire::cloud {

// Why a whole uplink frame was refused (label reason of tw_cloud_rejects_total{unit="frame"}).
enum class FrameReject : uint8_t { kBadTopic = 0, kOversize, kMalformed, kIdentityMismatch, kUnknownEdge };
inline constexpr size_t kFrameRejects = 5;
const char* frame_reject_name(FrameReject reason);

struct IngestMetrics {
  explicit IngestMetrics(MetricsRegistry& registry);

  // tw_cloud_items_total{type,outcome} and tw_cloud_rejects_total{unit="item",reason} for
  // the names apply_batch uses (registry_ingest.cpp), resolved up front; a name outside
  // that set is registered when it first occurs.
  Counter& item(const std::string& type, const std::string& outcome);
  Counter& item_reject(const std::string& reason);
  Counter& frame_reject(FrameReject reason) { return *frame_rejects_[static_cast<size_t>(reason)]; }

  MetricsRegistry& registry;
  // The queue between the transport's thread and the worker.
  Gauge& queue_depth;
  Gauge& queue_bytes;
  Counter& queue_full;
  Counter& dropped;  // queued or arriving while stopping
  // tw_cloud_batches_total by result.
  Counter& batches_acked;
  Counter& batches_rejected;
  Counter& batches_store_failed;
  Counter& batches_handoff_failed;
  Counter& batches_stored_unacked;
  Histogram& batch_items;
  Histogram& commit_ms;
  Counter& duplicates;
  Counter& events_stored;
  Counter& commands_completed;
  Counter& acks;
  // tw_cloud_ack_failures_total by reason; not_acknowledged moves on the transport's thread.
  Counter& ack_not_acknowledged;
  Counter& ack_publish_refused;

 private:
  std::map<std::pair<std::string, std::string>, Counter*> items_;
  std::map<std::string, Counter*> item_rejects_;
  std::array<Counter*, kFrameRejects> frame_rejects_{};
};

}  // namespace tidewire::cloud

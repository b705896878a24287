#include "tidewire/cloud/ingest_metrics.hpp"

namespace tidewire::cloud {
namespace {

constexpr const char* kItems = "tw_cloud_items_total";
constexpr const char* kItemsHelp = "Batch items by type and outcome";
constexpr const char* kRejects = "tw_cloud_rejects_total";
constexpr const char* kRejectsHelp = "Rejected frames and items, by reason";
constexpr const char* kBatches = "tw_cloud_batches_total";
constexpr const char* kBatchesHelp = "Uplink batches by result";
constexpr const char* kAckFailures = "tw_cloud_ack_failures_total";
constexpr const char* kAckFailuresHelp = "BatchAcks not delivered to the broker, by reason";

std::vector<double> batch_size_buckets() {
  return {1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
}

// What apply_batch can say of an item (registry_ingest.cpp): a type and its outcomes,
// and the reasons it rejects an item for.
struct ItemOutcomes {
  const char* type;
  std::array<const char*, 3> outcomes;
};
constexpr std::array<ItemOutcomes, 4> kItemOutcomes{{
    {"event", {"accepted", "duplicate", "rejected"}},
    {"status", {"accepted", "stale", "rejected"}},
    {"presence", {"accepted", "stale", "rejected"}},
    {"result", {"accepted", "duplicate", "rejected"}},
}};
constexpr std::array<const char*, 5> kItemRejectReasons{"oversize", "malformed", "identity_mismatch", "invalid_field",
                                                        "unknown_command"};

}  // namespace

const char* frame_reject_name(FrameReject reason) {
  switch (reason) {
    case FrameReject::kBadTopic: return "bad_topic";
    case FrameReject::kOversize: return "oversize";
    case FrameReject::kMalformed: return "malformed";
    case FrameReject::kIdentityMismatch: return "identity_mismatch";
    case FrameReject::kUnknownEdge: return "unknown_edge";
  }
  return "malformed";
}

IngestMetrics::IngestMetrics(MetricsRegistry& r)
    : registry(r),
      queue_depth(r.gauge("tw_cloud_ingest_queue_depth", "Uplink frames waiting for the ingest worker")),
      queue_bytes(r.gauge("tw_cloud_ingest_queue_bytes", "Bytes of uplink frames waiting for the ingest worker")),
      queue_full(r.counter("tw_cloud_ingest_queue_full_total",
                           "Frames dropped unacked because the ingest queue was full")),
      dropped(r.counter("tw_cloud_ingest_dropped_total", "Frames dropped unacked at shutdown")),
      batches_acked(r.counter(kBatches, kBatchesHelp, {{"result", "acked"}})),
      batches_rejected(r.counter(kBatches, kBatchesHelp, {{"result", "rejected"}})),
      batches_store_failed(r.counter(kBatches, kBatchesHelp, {{"result", "store_failed"}})),
      batches_handoff_failed(r.counter(kBatches, kBatchesHelp, {{"result", "handoff_failed"}})),
      batches_stored_unacked(r.counter(kBatches, kBatchesHelp, {{"result", "stored_unacked"}})),
      batch_items(r.histogram("tw_cloud_batch_items", "Items per uplink batch", batch_size_buckets())),
      commit_ms(r.histogram("tw_cloud_ingest_commit_ms", "Time to store and commit one batch", default_ms_buckets())),
      duplicates(r.counter("tw_cloud_duplicates_total", "Batch items absorbed as duplicates or stale")),
      events_stored(r.counter("tw_cloud_events_stored_total", "Events newly stored (duplicates excluded)")),
      commands_completed(r.counter("tw_cloud_commands_completed_total", "Commands completed by a device result")),
      acks(r.counter("tw_cloud_acks_total", "BatchAcks published")),
      ack_not_acknowledged(r.counter(kAckFailures, kAckFailuresHelp, {{"reason", "not_acknowledged"}})),
      ack_publish_refused(r.counter(kAckFailures, kAckFailuresHelp, {{"reason", "publish_refused"}})) {
  for (const auto& [type, outcomes] : kItemOutcomes) {
    for (const char* outcome : outcomes) {
      items_[{type, outcome}] = &r.counter(kItems, kItemsHelp, {{"type", type}, {"outcome", outcome}});
    }
  }
  for (const char* reason : kItemRejectReasons) {
    item_rejects_[reason] = &r.counter(kRejects, kRejectsHelp, {{"unit", "item"}, {"reason", reason}});
  }
  // Every reason of the enum, so a new one cannot be left without its counter.
  for (size_t i = 0; i < kFrameRejects; ++i) {
    frame_rejects_[i] = &r.counter(kRejects, kRejectsHelp,
                                   {{"unit", "frame"}, {"reason", frame_reject_name(static_cast<FrameReject>(i))}});
  }
}

Counter& IngestMetrics::item(const std::string& type, const std::string& outcome) {
  auto it = items_.find({type, outcome});
  if (it != items_.end()) return *it->second;
  return registry.counter(kItems, kItemsHelp, {{"type", type}, {"outcome", outcome}});
}

Counter& IngestMetrics::item_reject(const std::string& reason) {
  auto it = item_rejects_.find(reason);
  if (it != item_rejects_.end()) return *it->second;
  return registry.counter(kRejects, kRejectsHelp, {{"unit", "item"}, {"reason", reason}});
}

}  // namespace tidewire::cloud

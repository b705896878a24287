#include "tidewire/edge/edge_metrics.hpp"

namespace tidewire::edge {
namespace {

std::array<Counter*, 3> by_rank(MetricsRegistry& r, const std::string& reason) {
  std::array<Counter*, 3> out{};
  for (DropRank rank : kDropOrder) {
    out[static_cast<size_t>(rank)] =
        &r.counter("tw_edge_spool_dropped_total", "Spool rows dropped by a bound, by priority and reason",
                   {{"priority", drop_rank_name(rank)}, {"reason", reason}});
  }
  return out;
}

}  // namespace

EdgeMetrics::EdgeMetrics(MetricsRegistry& r)
    : registry(r),
      duplicates(r.counter("tw_edge_duplicates_total", "Device messages already spooled (re-acked, not spooled)")),
      cursor_overflow(r.counter("tw_edge_cursor_overflow_total",
                                "Device messages refused: too many seqs waiting above a gap")),
      status_coalesced(r.counter("tw_edge_status_coalesced_total", "Status rows superseded by a newer status")),
      acks_sent(r.counter("tw_edge_device_acks_sent_total", "DeviceAck messages published")),
      acks_unsent(r.counter("tw_edge_device_acks_unsent_total", "DeviceAcks not published (site broker down)")),
      group_commits(r.counter("tw_edge_group_commits_total", "Spool transactions for device messages")),
      group_commit_failures(r.counter("tw_edge_group_commit_failures_total", "Spool transactions that failed")),
      group_lost(r.counter("tw_edge_group_lost_total", "Device messages in failed spool transactions (not acked)")),
      group_commit_ms(r.histogram("tw_edge_group_commit_ms", "Spool commit latency", default_ms_buckets())),
      group_size(r.histogram("tw_edge_group_size", "Device messages per spool transaction",
                             {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000})),
      input_refused(r.counter("tw_edge_input_refused_total", "Device messages ignored while shutting down")),
      spool_rows(r.gauge("tw_edge_spool_rows", "Rows in the spool")),
      spool_bytes(r.gauge("tw_edge_spool_bytes", "Payload bytes in the spool")),
      spool_dropped_full(by_rank(r, "full")),
      spool_dropped_age(by_rank(r, "age")),
      spool_errors(r.counter("tw_edge_spool_errors_total", "Spool operations that failed")),
      spool_corrupt(r.counter("tw_edge_spool_corrupt_total", "Spool rows that no longer decode (deleted)")),
      uplink_connected(r.gauge("tw_edge_uplink_connected", "1 while connected to the cloud broker")),
      site_connected(r.gauge("tw_edge_site_connected", "1 while connected to the site broker")),
      batches_inflight(r.gauge("tw_edge_batches_inflight", "Batches sent and not yet acked")),
      batches_sent(r.counter("tw_edge_batches_sent_total", "New batches published to the cloud")),
      batches_acked(r.counter("tw_edge_batches_acked_total", "Batches acked by the cloud")),
      batches_resent(r.counter("tw_edge_batches_resent_total", "Batches re-published (ack timeout or reconnect)")),
      batch_publish_failures(r.counter("tw_edge_batch_publish_failures_total", "Batch publishes the transport refused")),
      batch_acks_unknown(r.counter("tw_edge_batch_acks_unknown_total", "BatchAcks for batches not in flight")),
      cloud_rejects(r.counter("tw_edge_cloud_rejects_total", "Cloud messages that did not decode or were misaddressed")),
      items_accepted(r.counter("tw_edge_cloud_items_total", "Items the cloud acked, by outcome", {{"outcome", "accepted"}})),
      items_duplicate(r.counter("tw_edge_cloud_items_total", "Items the cloud acked, by outcome", {{"outcome", "duplicate"}})),
      items_rejected(r.counter("tw_edge_cloud_items_total", "Items the cloud acked, by outcome", {{"outcome", "rejected"}})),
      uplink_raw_bytes(r.counter("tw_edge_uplink_raw_bytes_total", "Encoded EdgeBatch bytes before compression")),
      uplink_frame_bytes(r.counter("tw_edge_uplink_frame_bytes_total", "BatchFrame bytes published")),
      batch_items(r.histogram("tw_edge_batch_items", "Items per batch", {1, 5, 10, 50, 100, 250, 500, 1000, 5000})),
      batch_bytes(r.histogram("tw_edge_batch_bytes", "BatchFrame bytes per batch",
                              {1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 8388608})),
      compression_ratio(r.histogram("tw_edge_batch_compression_ratio", "Raw bytes / frame bytes per batch",
                                    {1, 1.25, 1.5, 2, 3, 4, 6, 8, 12, 16})),
      pacing_waits(r.counter("tw_edge_uplink_paced_total", "Times a ready batch waited for drain-rate tokens")),
      commands_forwarded(r.counter("tw_edge_commands_forwarded_total", "Commands published to device cmd topics")),
      commands_unknown_device(r.counter("tw_edge_commands_unknown_device_total",
                                        "Commands for devices never seen at this site")),
      commands_invalid(r.counter("tw_edge_commands_invalid_total", "Commands with bad fields (dropped)")),
      commands_unsent(r.counter("tw_edge_commands_unsent_total", "Commands not published (site broker down)")),
      inbox_depth(r.gauge("tw_edge_inbox_depth", "Broker callbacks queued for the relay thread")),
      inbox_dropped(r.counter("tw_edge_inbox_dropped_total", "Broker messages dropped: relay queue full")) {
  for (RowKind k : {RowKind::kEvent, RowKind::kResult, RowKind::kPresence, RowKind::kStatus}) {
    received[static_cast<size_t>(k)] = &r.counter("tw_edge_received_total", "Valid device messages by channel",
                                                  {{"channel", row_kind_name(k)}});
  }
  for (RejectReason reason : kAllRejectReasons) {
    rejects[static_cast<size_t>(reason)] =
        &r.counter("tw_edge_rejects_total", "Device messages rejected, by reason", {{"reason", reject_reason_name(reason)}});
  }
}

}  // namespace tidewire::edge

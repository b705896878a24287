#pragma once
// Every counter and gauge of the edge, registered once so the hot path only touches
// atomics. Names are the ones edge/README.md lists.
#include <array>

#include "tidewire/common/metrics.hpp"
#include "tidewire/edge/spool.hpp"
#include "tidewire/edge/validator.hpp"

namespace tidewire::edge {

struct EdgeMetrics {
  explicit EdgeMetrics(MetricsRegistry& registry);

  MetricsRegistry& registry;
  // Ingest from the site broker.
  std::array<Counter*, 4> received;  // by RowKind
  std::array<Counter*, 5> rejects;   // by RejectReason
  Counter& duplicates;
  Counter& cursor_overflow;
  Counter& status_coalesced;
  Counter& acks_sent;
  Counter& acks_unsent;  // site broker down when an ack was due (the device re-sends)
  Counter& group_commits;
  Counter& group_commit_failures;
  Counter& group_lost;  // messages of a failed group (events re-sent by devices; status/presence lost)
  Histogram& group_commit_ms;
  Histogram& group_size;
  Counter& input_refused;  // device messages refused while shutting down
  // Spool.
  Gauge& spool_rows;
  Gauge& spool_bytes;
  std::array<Counter*, 3> spool_dropped_full;  // by DropRank
  std::array<Counter*, 3> spool_dropped_age;
  Counter& spool_errors;
  Counter& spool_corrupt;
  // Uplink.
  Gauge& uplink_connected;
  Gauge& site_connected;
  Gauge& batches_inflight;
  Counter& batches_sent;
  Counter& batches_acked;
  Counter& batches_resent;
  Counter& batch_publish_failures;
  Counter& batch_acks_unknown;
  Counter& cloud_rejects;  // undecodable or misaddressed messages from the cloud
  Counter& items_accepted;
  Counter& items_duplicate;
  Counter& items_rejected;
  Counter& uplink_raw_bytes;
  Counter& uplink_frame_bytes;
  Histogram& batch_items;
  Histogram& batch_bytes;
  Histogram& compression_ratio;
  Counter& pacing_waits;
  // Commands.
  Counter& commands_forwarded;
  Counter& commands_unknown_device;
  Counter& commands_invalid;
  Counter& commands_unsent;  // site broker down (the cloud re-sends until the deadline)
  // The strand's inbound queue (RelayHost).
  Gauge& inbox_depth;
  Counter& inbox_dropped;
};

}  // namespace tidewire::edge

#include "tidewire/cloud/command_metrics.hpp"

namespace tidewire::cloud {
namespace {

Counter& send_failures(MetricsRegistry& r, const char* reason) {
  return r.counter("tw_cloud_command_send_failures_total", "Command publishes not done, by reason",
                   {{"reason", reason}});
}

}  // namespace

CommandMetrics::CommandMetrics(MetricsRegistry& r)
    : created(r.counter("tw_cloud_commands_created_total", "Commands accepted by the API")),
      replays(r.counter("tw_cloud_command_replays_total", "Command requests answered from an idempotency key")),
      key_conflicts(
          r.counter("tw_cloud_command_key_conflicts_total", "Idempotency keys reused for a different request")),
      sends(r.counter("tw_cloud_command_sends_total", "Commands published to edges (first sends and re-sends)")),
      expired(r.counter("tw_cloud_commands_expired_total", "Commands that reached their deadline without a result")),
      send_disconnected(send_failures(r, "disconnected")),
      send_no_edge(send_failures(r, "no_edge")),
      send_bad_edge_id(send_failures(r, "bad_edge_id")),
      send_publish_refused(send_failures(r, "publish_refused")),
      send_not_acknowledged(send_failures(r, "not_acknowledged")) {}

}  // namespace tidewire::cloud

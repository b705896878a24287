#pragma once
// Every counter of CommandService, registered once. Names, help texts and labels are the
// ones cloud/README.md lists under "Metrics".
#include "tidewire/common/metrics.hpp"

namespace tidewire::cloud {

struct CommandMetrics {
  explicit CommandMetrics(MetricsRegistry& registry);

  Counter& created;
  Counter& replays;
  Counter& key_conflicts;
  Counter& sends;
  Counter& expired;
  // tw_cloud_command_send_failures_total by reason; not_acknowledged moves on the
  // transport's thread.
  Counter& send_disconnected;
  Counter& send_no_edge;
  Counter& send_bad_edge_id;
  Counter& send_publish_refused;
  Counter& send_not_acknowledged;
};

}  // namespace tidewire::cloud

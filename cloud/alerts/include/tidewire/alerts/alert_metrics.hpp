#pragma once
// Every counter and gauge of the AlertEngine and the AlertRunner, registered once when
// each is built. Names, help texts and labels are the ones docs/alerts.md lists. (Rule
// refusals, by source and reason, are counted by count_rule_reject in alert_api.hpp.)
#include "tidewire/common/metrics.hpp"

namespace tidewire::alerts {

struct AlertMetrics {
  explicit AlertMetrics(MetricsRegistry& registry);

  // The engine.
  Gauge& rules;
  Gauge& incidents_open;
  Counter& store_failures;
  // The runner.
  Counter& snapshot_failures;
  Counter& notices_dropped;
  Counter& sink_failures;
  // tw_alert_notifications_total by kind (NoticeKind).
  Counter& fire_notices;
  Counter& clear_notices;
};

}  // namespace tidewire::alerts

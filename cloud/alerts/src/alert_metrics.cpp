#include "tidewire/alerts/alert_metrics.hpp"

namespace tidewire::alerts {
namespace {

Counter& notifications(MetricsRegistry& r, const char* kind) {
  return r.counter("tw_alert_notifications_total", "Alert notices handed to the push service", {{"kind", kind}});
}

}  // namespace

AlertMetrics::AlertMetrics(MetricsRegistry& r)
    : rules(r.gauge("tw_alert_rules", "Alert rules in force (file and API)")),
      incidents_open(r.gauge("tw_alert_incidents_open", "Alert incidents firing now")),
      store_failures(
          r.counter("tw_alert_store_failures_total", "Alert store writes that failed (retried next evaluation)")),
      snapshot_failures(
          r.counter("tw_alert_snapshot_failures_total", "Alert evaluations skipped: the fleet could not be read")),
      notices_dropped(r.counter("tw_alert_notices_dropped_total",
                                "Alert notices the push service refused as invalid (not retried)")),
      sink_failures(
          r.counter("tw_alert_sink_failures_total", "Alert notices the push service could not take (retried)")),
      fire_notices(notifications(r, "fire")),
      clear_notices(notifications(r, "clear")) {}

}  // namespace tidewire::alerts

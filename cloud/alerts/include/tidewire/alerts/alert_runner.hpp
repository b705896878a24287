#pragma once
// Runs the alert engine on a period: the cloud's housekeeping loop calls tick() about
// once a second; every interval_ms (on the injected clock) it reads the fleet, evaluates
// the rules and pushes what the engine hands out. Pushes run on the caller's thread, one
// at a time, in the engine's order; a notice the sink refuses stays unsent and is retried
// at the next evaluation under the same idempotency key.
#include <cstdint>

#include "tidewire/alerts/alert_engine.hpp"
#include "tidewire/cloud/fleet_registry.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/alerts/alert_metrics.hpp"
#include "tidewire/common/metrics.hpp"

namespace tidewire::alerts {

struct AlertRunnerOptions {
  int64_t interval_ms = 10'000;  // --alert-interval-s
  int page_size = 1000;          // devices per list_devices call
};

class AlertRunner {
 public:
  AlertRunner(AlertEngine& engine, cloud::FleetRegistry& registry, AlertSink& sink, Clock& clock,
              MetricsRegistry& metrics, AlertRunnerOptions options = {});

  // Evaluates when the interval has passed since the last evaluation (the first tick
  // evaluates at once). Returns whether it evaluated.
  bool tick();
  // One evaluation now: snapshot, evaluate, push. Errors reading the fleet are returned
  // (and counted); sink failures are counted, not returned.
  Status run_once();

 private:
  AlertEngine& engine_;
  cloud::FleetRegistry& registry_;
  AlertSink& sink_;
  Clock& clock_;
  AlertMetrics metrics_;
  AlertRunnerOptions options_;
  bool ran_ = false;
  int64_t last_steady_ms_ = 0;
};

}  // namespace tidewire::alerts

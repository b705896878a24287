#include "tidewire/alerts/alert_runner.hpp"

#include <set>

#include "tidewire/common/log.hpp"

namespace tidewire::alerts {
namespace {
constexpr const char* kLog = "alerts";
}

AlertRunner::AlertRunner(AlertEngine& engine, cloud::FleetRegistry& registry, AlertSink& sink, Clock& clock,
                         MetricsRegistry& metrics, AlertRunnerOptions options)
    : engine_(engine), registry_(registry), sink_(sink), clock_(clock), metrics_(metrics), options_(options) {}

bool AlertRunner::tick() {
  int64_t now = clock_.steady_ms();
  if (ran_ && now - last_steady_ms_ < options_.interval_ms) return false;
  ran_ = true;
  last_steady_ms_ = now;
  if (auto st = run_once(); !st) TW_WARN(kLog, "evaluation skipped: " << st.error().message);
  return true;
}

Status AlertRunner::run_once() {
  auto fleet = snapshot_fleet(registry_, options_.page_size);
  if (!fleet) {
    metrics_.snapshot_failures.inc();
    return fleet.error();
  }
  auto notices = engine_.evaluate(*fleet, clock_.wall_ms());
  // A clear must never arrive before its incident's fire: when a fire fails, the clear of
  // the same incident waits for the next round too.
  std::set<std::tuple<std::string, std::string, uint64_t>> fire_failed;
  for (const auto& n : notices) {
    auto incident = std::tuple{n.rule_id, n.subject, n.seq};
    if (n.kind == NoticeKind::kClear && fire_failed.count(incident)) continue;
    if (auto st = sink_.notify(n.request, n.idempotency_key); !st) {
      if (st.error().code == ErrorCode::kInvalidArgument) {
        // Refused for what it is (no registered recipient left, a bad rule): sending it
        // again every round would change nothing. Dropped, counted, said once.
        metrics_.notices_dropped.inc();
        TW_ERROR(kLog, "notice " << n.idempotency_key << " dropped, not retried: " << st.error().message);
        (void)engine_.mark_sent(n);
        continue;
      }
      metrics_.sink_failures.inc();
      TW_WARN(kLog, "push " << n.idempotency_key << " failed (retried next round): " << st.error().message);
      if (n.kind == NoticeKind::kFire) fire_failed.insert(incident);
      continue;
    }
    (n.kind == NoticeKind::kFire ? metrics_.fire_notices : metrics_.clear_notices).inc();
    // A failed mark is counted by the engine; the notice goes again under the same key.
    (void)engine_.mark_sent(n);
  }
  return {};
}

}  // namespace tidewire::alerts

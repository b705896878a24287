#pragma once
// Reads --alert-rules-file (format in docs/alerts.md: one JSON rule per line). An empty
// path means no file rules. Any bad line fails the load with "<path> line N: ..." and is
// counted in tw_alert_rule_rejects_total{source="file",reason}, so the cloud refuses to
// start on a typo instead of running without the rule.
#include <string>
#include <vector>

#include "tidewire/alerts/alert_rule.hpp"
#include "tidewire/common/expected.hpp"
#include "tidewire/common/metrics.hpp"

namespace tidewire::alerts {

Expected<std::vector<AlertRule>> load_rules_file(const std::string& path, MetricsRegistry& metrics);

}  // namespace tidewire::alerts

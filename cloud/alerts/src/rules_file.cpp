#include "tidewire/alerts/rules_file.hpp"

#include <fstream>
#include <sstream>

#include "tidewire/alerts/alert_api.hpp"

namespace tidewire::alerts {

Expected<std::vector<AlertRule>> load_rules_file(const std::string& path, MetricsRegistry& metrics) {
  if (path.empty()) return std::vector<AlertRule>{};
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kInvalidArgument,
                      "cannot read alert rules file " + path + " (check --alert-rules-file and its permissions)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = parse_rules_text(text.str());
  if (parsed.error) {
    const Error& e = parsed.error->error;
    count_rule_reject(metrics, "file", e.reason);
    return make_error(ErrorCode::kInvalidArgument,
                      path + " line " + std::to_string(parsed.error->line) + ": " + e.message + " [" + e.reason + "]",
                      e.reason);
  }
  return std::move(parsed.rules);
}

}  // namespace tidewire::alerts

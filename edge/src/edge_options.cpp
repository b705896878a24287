#include "tidewire/transport/transport.hpp"
#include "tidewire/edge/edge_options.hpp"

#include <cctype>
#include <charconv>

#include "tidewire/protocols/codec.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/transport/tls_options.hpp"

namespace tidewire::edge {
namespace {

using T = OptionSpec::Type;

Error bad(const std::string& option, const std::string& why) {
  return make_error(ErrorCode::kInvalidArgument, "--" + option + ": " + why);
}

Expected<int64_t> in_range(const Config& c, const std::string& name, int64_t lo, int64_t hi) {
  int64_t v = c.integer(name);
  if (v < lo || v > hi) {
    return bad(name, std::to_string(v) + " is out of range; use " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return v;
}

}  // namespace

std::vector<OptionSpec> edge_option_specs() {
  std::vector<OptionSpec> specs{
      {"edge-id", T::kString, "", "this relay's id on the cloud broker, [A-Za-z0-9_-]{1,64} (no '.'); required"},
      {"site", T::kString, "", "the site whose devices this relay serves, [A-Za-z0-9_-]{1,64} (no '.'); required"},
      {"site-host", T::kString, "127.0.0.1", "site MQTT broker host"},
      {"site-port", T::kInt, std::to_string(transport::kDefaultMqttPort), "site MQTT broker port"},
      {"site-username", T::kString, "", "site broker username (empty = anonymous)"},
      {"site-password", T::kString, "", "site broker password (prefer the config file to the command line)"},
      {"cloud-host", T::kString, "127.0.0.1", "cloud MQTT broker host"},
      {"cloud-port", T::kInt, "1884", "cloud MQTT broker port"},
      {"cloud-username", T::kString, "", "cloud broker username (empty = anonymous)"},
      {"cloud-password", T::kString, "", "cloud broker password (prefer the config file to the command line)"},
      {"spool-path", T::kString, "edge-spool.db", "SQLite spool file (created if missing)"},
      {"spool-max-bytes", T::kString, "256MiB",
       "spool byte bound; over it rows are dropped LOW, NORMAL, HIGH, oldest first"},
      {"spool-max-age-s", T::kInt, "604800", "rows older than this are dropped (seconds)"},
      {"batch-max-items", T::kInt, "500", "items per uplink batch"},
      {"batch-max-bytes", T::kString, "1MiB", "payload bytes per uplink batch, before compression"},
      {"batch-max-delay-ms", T::kInt, "200", "longest a spooled row waits for its batch to fill"},
      {"batch-window", T::kInt, "8", "unacked batches in flight"},
      {"batch-ack-timeout-ms", T::kInt, "10000", "re-send a batch not acked within this time"},
      {"drain-rate", T::kDouble, "20000", "uplink items/s cap, so a backlog drains steadily (0 = no cap)"},
      {"zstd-level", T::kInt, "3", "zstd level for batches (0 = no compression)"},
      {"group-commit-ms", T::kInt, "5", "collect device messages this long into one spool transaction"},
      {"group-commit-max", T::kInt, "1000", "... or this many, whichever comes first"},
      {"inbox-max", T::kInt, "50000", "broker messages queued for the relay thread before dropping (devices re-send)"},
      {"metrics-port", T::kInt, "0", "serve GET /metrics and /healthz on this port (0 = off)"},
      {"metrics-host", T::kString, "127.0.0.1", "address the metrics server binds (0.0.0.0 for a remote scraper)"},
      {"summary-interval-s", T::kInt, "30", "log a one-line metrics summary this often (0 = never)"},
      {"log-level", T::kString, "info", "debug, info, warn or error"},
  };
  for (const auto& [prefix, what] : {std::pair{"site-", "site broker"}, std::pair{"cloud-", "cloud broker"}}) {
    for (auto& spec : transport::tls_option_specs(prefix, what)) specs.push_back(std::move(spec));
  }
  // Replays run the whole stack on one scaled clock (docs/architecture.md, "Time").
  for (auto& spec : clock_option_specs()) specs.push_back(std::move(spec));
  return specs;
}

Expected<uint64_t> parse_size(const std::string& text) {
  uint64_t n = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto r = std::from_chars(begin, end, n);
  if (r.ec != std::errc() || r.ptr == begin) {
    return make_error(ErrorCode::kInvalidArgument, "'" + text + "' is not a size (e.g. 1048576, 512KiB, 256MiB)");
  }
  std::string unit;
  for (const char* p = r.ptr; p < end; ++p) unit.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(*p))));
  uint64_t mult = 0;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib") mult = 1ull << 10;
  else if (unit == "m" || unit == "mb" || unit == "mib") mult = 1ull << 20;
  else if (unit == "g" || unit == "gb" || unit == "gib") mult = 1ull << 30;
  else return make_error(ErrorCode::kInvalidArgument, "'" + text + "': unknown unit (use KiB, MiB or GiB)");
  if (n > UINT64_MAX / mult) return make_error(ErrorCode::kInvalidArgument, "'" + text + "' is too large");
  return n * mult;
}

Expected<EdgeSettings> edge_settings(const Config& c) {
  EdgeSettings s;
  auto& r = s.relay;
  r.edge_id = c.str("edge-id");
  r.site = c.str("site");
  if (r.edge_id.empty()) return bad("edge-id", "required (e.g. --edge-id gw-01)");
  if (!topics::valid_id(r.edge_id))
    return bad("edge-id", "'" + r.edge_id + "' must be " + std::string(topics::kIdRule));
  if (r.site.empty()) return bad("site", "required (e.g. --site mall-7)");
  if (!topics::valid_id(r.site)) return bad("site", "'" + r.site + "' must be " + std::string(topics::kIdRule));

  s.site_host = c.str("site-host");
  s.cloud_host = c.str("cloud-host");
  auto site_port = in_range(c, "site-port", 1, 65535);
  if (!site_port) return site_port.error();
  auto cloud_port = in_range(c, "cloud-port", 1, 65535);
  if (!cloud_port) return cloud_port.error();
  s.site_port = static_cast<int>(*site_port);
  s.cloud_port = static_cast<int>(*cloud_port);
  s.site_username = c.str("site-username");
  s.site_password = c.str("site-password");
  s.cloud_username = c.str("cloud-username");
  s.cloud_password = c.str("cloud-password");
  auto site_tls = transport::tls_from_config(c, "site-");
  if (!site_tls) return site_tls.error();
  s.site_tls = *site_tls;
  auto cloud_tls = transport::tls_from_config(c, "cloud-");
  if (!cloud_tls) return cloud_tls.error();
  s.cloud_tls = *cloud_tls;

  s.spool_path = c.str("spool-path");
  if (s.spool_path.empty()) return bad("spool-path", "must not be empty");
  auto spool_bytes = parse_size(c.str("spool-max-bytes"));
  if (!spool_bytes) return bad("spool-max-bytes", spool_bytes.error().message);
  if (*spool_bytes < (1u << 20)) return bad("spool-max-bytes", "must be at least 1MiB");
  s.spool_max_bytes = *spool_bytes;
  auto age = in_range(c, "spool-max-age-s", 60, 10LL * 365 * 24 * 3600);
  if (!age) return age.error();
  r.spool_max_age_ms = *age * 1000;

  auto& u = r.uplink;
  auto items = in_range(c, "batch-max-items", 1, 100'000);
  if (!items) return items.error();
  u.max_items = static_cast<size_t>(*items);
  auto batch_bytes = parse_size(c.str("batch-max-bytes"));
  if (!batch_bytes) return bad("batch-max-bytes", batch_bytes.error().message);
  // Room under the 8 MiB frame limit for the per-item framing an EdgeBatch adds.
  constexpr uint64_t kMaxBatchBytes = codec::kMaxBatchFrameBytes - (1u << 20);
  if (*batch_bytes < codec::kMaxEnvelopeBytes || *batch_bytes > kMaxBatchBytes) {
    return bad("batch-max-bytes", "must be between 64KiB and 7MiB");
  }
  u.max_bytes = static_cast<size_t>(*batch_bytes);
  auto delay = in_range(c, "batch-max-delay-ms", 0, 60'000);
  if (!delay) return delay.error();
  u.max_delay_ms = *delay;
  auto window = in_range(c, "batch-window", 1, 1024);
  if (!window) return window.error();
  u.window = static_cast<size_t>(*window);
  auto timeout = in_range(c, "batch-ack-timeout-ms", 100, 3'600'000);
  if (!timeout) return timeout.error();
  u.ack_timeout_ms = *timeout;
  u.drain_rate = c.real("drain-rate");
  if (u.drain_rate < 0) return bad("drain-rate", "must be >= 0 (0 = no cap)");
  auto level = in_range(c, "zstd-level", 0, 19);
  if (!level) return level.error();
  u.zstd_level = static_cast<int>(*level);

  auto gc_ms = in_range(c, "group-commit-ms", 0, 1000);
  if (!gc_ms) return gc_ms.error();
  r.group_commit_ms = *gc_ms;
  auto gc_max = in_range(c, "group-commit-max", 1, 100'000);
  if (!gc_max) return gc_max.error();
  r.group_commit_max = static_cast<size_t>(*gc_max);

  auto inbox = in_range(c, "inbox-max", 100, 10'000'000);
  if (!inbox) return inbox.error();
  s.host.max_queued = static_cast<size_t>(*inbox);
  auto summary = in_range(c, "summary-interval-s", 0, 86'400);
  if (!summary) return summary.error();
  s.host.summary_interval_ms = *summary * 1000;
  auto metrics_port = in_range(c, "metrics-port", 0, 65535);
  if (!metrics_port) return metrics_port.error();
  s.metrics_port = static_cast<int>(*metrics_port);
  s.metrics_host = c.str("metrics-host");
  s.log_level = c.str("log-level");
  return s;
}

}  // namespace tidewire::edge

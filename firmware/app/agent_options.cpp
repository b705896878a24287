#include "agent_options.hpp"

#include "tidewire/protocols/codec.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/transport/tls_options.hpp"
#include "tidewire/transport/transport.hpp"

namespace tidewire::firmware {
namespace {

using Type = OptionSpec::Type;

Error bad(const std::string& message) {
  return make_error(ErrorCode::kInvalidArgument, message);
}

// "--name=value: must be lo..hi" when out of range.
Status in_range(const Config& c, const std::string& name, int64_t lo, int64_t hi) {
  int64_t v = c.integer(name);
  if (v < lo || v > hi)
    return bad("--" + name + "=" + std::to_string(v) + ": must be between " + std::to_string(lo) + " and " +
               std::to_string(hi));
  return {};
}

}  // namespace

Config make_agent_config(const AgentBuild& build) {
  const SessionOptions s;
  const OutboxLimits o;
  const board::BoardHalOptions b;
  auto num = [](auto v) { return std::to_string(v); };
  std::string hals = "hardware: board (sysfs, GPS tty, ffmpeg progress)";
  for (const auto& extra : build.extra_hals) hals += " | " + extra.name + " (" + extra.help + ")";
  std::vector<OptionSpec> specs = {
      {"role", Type::kString, "", "device role: poster | rider | encoder (required)"},
      {"device-id", Type::kString, "", "this device's id, 1-64 of [A-Za-z0-9_-] (no '.'; required)"},
      {"site", Type::kString, "", "site id the device belongs to, 1-64 of [A-Za-z0-9_-] (no '.'; required)"},
      {"broker-host", Type::kString, "127.0.0.1", "site broker host"},
      {"broker-port", Type::kInt, std::to_string(transport::kDefaultMqttPort), "site broker port"},
      {"username", Type::kString, "", "MQTT username (empty: none)"},
      {"password", Type::kString, "", "MQTT password (prefer the config file to the command line)"},
      {"state-dir", Type::kString, "/var/lib/tidewire", "directory for outbox.db (created if missing)"},
      {"hal", Type::kString, "board", hals},
      {"status-interval-ms", Type::kInt, num(s.status_interval_ms), "status (telemetry) period"},
      {"status-min-interval-ms", Type::kInt, num(s.status_min_interval_ms),
       "minimum gap before an early status on a significant change"},
      {"outbox-max-bytes", Type::kInt, num(o.max_bytes), "outbox size bound; LOW events are dropped first"},
      {"outbox-max-age-s", Type::kInt, num(o.max_age_ms / 1000), "events older than this are dropped (0 = keep)"},
      {"max-inflight", Type::kInt, "100", "QoS1 publishes awaiting PUBACK at once"},
      {"max-unacked", Type::kInt, num(s.max_unacked), "outbox rows sent and awaiting the edge's ack at once"},
      {"resend-timeout-ms", Type::kInt, num(s.resend_timeout_ms), "re-send unacked rows after this long"},
      {"keepalive-s", Type::kInt, "30", "MQTT keepalive; the broker publishes the will after 1.5x this"},
      {"reconnect-min-ms", Type::kInt, "250", "reconnect backoff base (full jitter)"},
      {"reconnect-max-ms", Type::kInt, "30000", "reconnect backoff cap"},
      {"log-level", Type::kString, "info", "debug | info | warn | error"},
      {"metrics-log-interval-s", Type::kInt, "300", "log a one-line counter summary this often (0 = never)"},
      {"shutdown-grace-ms", Type::kInt, "3000", "on SIGTERM, wait this long for the offline presence's PUBACK"},
      {"tick-ms", Type::kInt, "100", "how often timers (status, resends, reconnects) are checked"},
      {"gps-path", Type::kString, b.gps_path, "board rider: NMEA source (tty or file)"},
      {"ffmpeg-progress-path", Type::kString, b.progress_path,
       "board encoder: file or FIFO that ffmpeg -progress writes"},
      {"thermal-dir", Type::kString, b.thermal_dir, "board poster: sysfs thermal zones"},
      {"backlight-dir", Type::kString, b.backlight_dir, "board poster: sysfs backlight devices"},
      {"power-supply-dir", Type::kString, b.power_supply_dir, "board rider: sysfs power supplies (battery)"},
      {"offer-socket", Type::kString, "",
       "board rider: Unix socket a local UI connects to for dispatch offers (empty = none: offers declined)"},
      {"seed", Type::kInt, "0", "seed of the agent's random numbers, e.g. reconnect jitter (0 = from the OS)"},
  };
  for (auto& spec : transport::tls_option_specs("", "site broker")) specs.push_back(std::move(spec));
  for (const auto& extra : build.extra_hals) specs.insert(specs.end(), extra.options.begin(), extra.options.end());
  return Config(build.program,
                "The Tidewire device agent: publishes a board's status, events and command results to its site "
                "broker,\nkeeping events in a durable SQLite outbox (state dir) until the edge acknowledges them.",
                std::move(specs));
}

Expected<AgentOptions> agent_options_from(const Config& c, const AgentBuild& build) {
  AgentOptions a;
  auto& addr = a.session.address;
  if (!c.positionals().empty())
    return bad("unexpected argument '" + c.positionals().front() + "': options are written --name=value");

  const std::string& role = c.str("role");
  if (role.empty()) return bad("--role is required: poster, rider or encoder");
  auto kind = topics::parse_kind(role);
  if (!kind) return bad("--role=" + role + ": must be poster, rider or encoder");
  addr.kind = *kind;
  addr.device_id = c.str("device-id");
  if (addr.device_id.empty()) return bad("--device-id is required (" + std::string(topics::kIdRule) + ")");
  if (!topics::valid_id(addr.device_id)) return bad("--device-id=" + addr.device_id + ": use " + topics::kIdRule);
  addr.site = c.str("site");
  if (addr.site.empty()) return bad("--site is required (" + std::string(topics::kIdRule) + ")");
  if (!topics::valid_id(addr.site)) return bad("--site=" + addr.site + ": use " + topics::kIdRule);

  const Status checks[] = {
      in_range(c, "broker-port", 1, 65535),
      in_range(c, "status-interval-ms", 100, 3'600'000),
      in_range(c, "status-min-interval-ms", 0, 3'600'000),
      in_range(c, "outbox-max-bytes", static_cast<int64_t>(codec::kMaxEnvelopeBytes), INT64_MAX / 2),
      in_range(c, "outbox-max-age-s", 0, 10LL * 365 * 24 * 3600),
      in_range(c, "max-inflight", 1, 65535),
      in_range(c, "max-unacked", 1, 1'000'000),
      in_range(c, "resend-timeout-ms", 1000, 24LL * 3600 * 1000),
      in_range(c, "keepalive-s", 5, 3600),
      in_range(c, "reconnect-min-ms", 10, 3'600'000),
      in_range(c, "reconnect-max-ms", 10, 3'600'000),
      in_range(c, "metrics-log-interval-s", 0, 7 * 24 * 3600),
      in_range(c, "shutdown-grace-ms", 0, 60'000),
      in_range(c, "tick-ms", 10, 1000),
      in_range(c, "seed", 0, INT64_MAX),
  };
  for (const auto& st : checks)
    if (!st) return st.error();
  if (c.integer("reconnect-max-ms") < c.integer("reconnect-min-ms"))
    return bad("--reconnect-max-ms must be at least --reconnect-min-ms");

  auto& connect = a.session.connect;
  connect.host = c.str("broker-host");
  if (connect.host.empty()) return bad("--broker-host is empty: give the site broker's address");
  connect.port = static_cast<int>(c.integer("broker-port"));
  connect.username = c.str("username");
  connect.password = c.str("password");
  auto tls = transport::tls_from_config(c, "");
  if (!tls) return tls.error();
  connect.tls = *tls;
  connect.keepalive_s = static_cast<int>(c.integer("keepalive-s"));
  connect.max_inflight = static_cast<int>(c.integer("max-inflight"));
  connect.reconnect_min_ms = c.integer("reconnect-min-ms");
  connect.reconnect_max_ms = c.integer("reconnect-max-ms");
  a.session.status_interval_ms = c.integer("status-interval-ms");
  a.session.status_min_interval_ms = c.integer("status-min-interval-ms");
  a.session.max_unacked = static_cast<size_t>(c.integer("max-unacked"));
  a.session.resend_timeout_ms = c.integer("resend-timeout-ms");

  a.outbox.max_bytes = static_cast<uint64_t>(c.integer("outbox-max-bytes"));
  a.outbox.max_age_ms = c.integer("outbox-max-age-s") * 1000;

  a.state_dir = c.str("state-dir");
  if (a.state_dir.empty()) return bad("--state-dir is empty: give a writable directory for the outbox");

  a.hal = c.str("hal");
  std::string names = "board";
  bool known = a.hal == "board";
  for (const auto& extra : build.extra_hals) {
    names += " or " + extra.name;
    // Checked even when not chosen: a bad value in a config file shows up at once.
    auto maker = extra.configure(c);
    if (!maker) return maker.error();
    if (a.hal != extra.name) continue;
    known = true;
    a.extra_hal = std::move(*maker);
  }
  if (!known) return bad("--hal=" + a.hal + ": must be " + names);

  a.board.gps_path = c.str("gps-path");
  a.board.progress_path = c.str("ffmpeg-progress-path");
  a.board.thermal_dir = c.str("thermal-dir");
  a.board.backlight_dir = c.str("backlight-dir");
  a.board.power_supply_dir = c.str("power-supply-dir");
  a.board.offer_socket_path = c.str("offer-socket");
  if (a.board.offer_socket_path.size() > 100)
    return bad("--offer-socket: at most 100 bytes (a Unix socket path limit); use a shorter path");
  a.board.storage_path = a.state_dir;

  if (!log::parse_level(c.str("log-level"), a.log_level))
    return bad("--log-level=" + c.str("log-level") + ": must be debug, info, warn or error");
  a.seed = static_cast<uint64_t>(c.integer("seed"));
  a.tick_ms = c.integer("tick-ms");
  a.metrics_log_interval_s = c.integer("metrics-log-interval-s");
  a.shutdown_grace_ms = c.integer("shutdown-grace-ms");
  return a;
}

}  // namespace tidewire::firmware

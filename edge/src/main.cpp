// tidewire-edge: the site relay. Devices on the site broker -> SQLite spool -> batches to
// the cloud broker; commands from the cloud -> devices. See edge/README.md.
#include <cstdio>
#include <iostream>
#include <memory>

#include "sqlite/sqlite_spool.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/common/config.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/common/shutdown.hpp"
#include "tidewire/edge/edge_metrics.hpp"
#include "tidewire/edge/edge_options.hpp"
#include "tidewire/edge/relay.hpp"
#include "tidewire/edge/relay_host.hpp"
#include "tidewire/transport/paho_client.hpp"
#ifdef TW_EDGE_HAVE_HTTP
#include "http/server.hpp"
#endif

namespace {

using namespace tidewire;
constexpr const char* kLog = "edge";

int fail(const std::string& message, int code) {
  std::cerr << "tidewire-edge: " << message << "\n";
  return code;
}

transport::ConnectOptions connect_options(const std::string& host, int port, const std::string& client_id,
                                          const std::string& user, const std::string& password,
                                          const transport::ConnectOptions::Tls& tls) {
  transport::ConnectOptions o;
  o.host = host;
  o.port = port;
  o.client_id = client_id;
  o.username = user;
  o.password = password;
  o.tls = tls;
  o.keepalive_s = 30;
  o.reconnect_min_ms = 500;
  o.reconnect_max_ms = 30'000;
  o.tcp_nodelay = true;  // commands, offers and acks are small answers someone waits for
  return o;
}

#ifdef TW_EDGE_HAVE_HTTP
std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

Expected<http::ServerPtr> serve_metrics(const std::string& host, int port, MetricsRegistry& registry,
                                        edge::EdgeMetrics& metrics, const transport::Transport& site,
                                        const transport::Transport& cloud) {
  http::Router router;
  // Both open: the edge serves nothing else, on loopback unless told otherwise
  // (docs/security.md: an edge's metrics name devices, so keep metrics-host on loopback).
  (void)router.add("GET", "/metrics", http::Access::anyone(), [&registry](const http::Request&) {
    return http::Response::text(200, registry.render_prometheus(), "text/plain; version=0.0.4; charset=utf-8");
  });
  (void)router.add("GET", "/healthz", http::Access::anyone(), [&metrics, &site, &cloud](const http::Request&) {
    // Alive while the process runs; the broker links are reported, not judged, because a
    // site gateway without its uplink is still doing its job (spooling). A subscription a
    // broker refused is judged: no reconnect will fix it (an ACL or a broker that cannot
    // serve the filter), and the edge would never hear devices, acks or commands on it.
    std::string refused_site = transport::describe(site.refused_subscriptions());
    std::string refused_cloud = transport::describe(cloud.refused_subscriptions());
    bool ok = refused_site.empty() && refused_cloud.empty();
    std::string body = std::string("{\"status\":") + (ok ? "\"ok\"" : "\"subscription_refused\"") +
                       ",\"site_connected\":" + (metrics.site_connected.value() ? "true" : "false") +
                       ",\"uplink_connected\":" + (metrics.uplink_connected.value() ? "true" : "false") +
                       ",\"spool_rows\":" + std::to_string(metrics.spool_rows.value());
    if (!refused_site.empty()) body += ",\"site_subscriptions_refused\":" + json_string(refused_site);
    if (!refused_cloud.empty()) body += ",\"cloud_subscriptions_refused\":" + json_string(refused_cloud);
    return http::Response::json(ok ? 200 : 503, body + "}");
  });
  http::ServerOptions options;
  options.host = host;
  options.port = port;
  options.threads = 1;
  options.name = "edge-metrics";
  options.metrics = &registry;
  return http::Server::start(options, std::move(router));
}
#endif

}  // namespace

int main(int argc, char** argv) {
  install_shutdown_handlers();
  Config config("tidewire-edge",
                "Site relay: validates, deduplicates and spools device messages from the site broker, acks them\n"
                "to the devices once on disk, and forwards them in compressed batches to the cloud broker,\n"
                "deleting them only when the cloud acks. Relays cloud commands to the devices.",
                edge::edge_option_specs());
  auto parsed = config.parse(argc, argv);
  if (!parsed) return fail(parsed.error().message, 2);
  if (!*parsed) {
    std::cout << config.usage();
    return 0;
  }
  if (!config.positionals().empty()) {
    return fail("unexpected argument '" + config.positionals()[0] + "' (see --help)", 2);
  }
  auto settings = edge::edge_settings(config);
  if (!settings) return fail(settings.error().message + " (see --help)", 2);
  log::Level level;
  if (!log::parse_level(settings->log_level, level)) {
    return fail("--log-level: '" + settings->log_level + "' is not debug, info, warn or error", 2);
  }
  log::set_level(level);

  auto spool = edge::SqliteSpool::open({settings->spool_path, settings->spool_max_bytes});
  if (!spool) {
    return fail(spool.error().describe() + " (check that --spool-path is on a writable disk)", 1);
  }

  auto clock_ptr = make_clock(config);
  if (!clock_ptr) return fail(clock_ptr.error().message + " (see --help)", 2);
  Clock& clock = **clock_ptr;
  MetricsRegistry registry;
  edge::EdgeMetrics metrics(registry);
  transport::PahoClient site({&registry, {{"broker", "site"}}});
  transport::PahoClient cloud({&registry, {{"broker", "cloud"}}});
  const auto& r = settings->relay;
  edge::Relay relay(settings->relay, **spool, site, cloud, clock, metrics);
  edge::RelayHost host(relay, site, cloud, clock, metrics, settings->host);

#ifdef TW_EDGE_HAVE_HTTP
  http::ServerPtr metrics_server;
  if (settings->metrics_port > 0) {
    auto server = serve_metrics(settings->metrics_host, settings->metrics_port, registry, metrics, site, cloud);
    if (!server) return fail(server.error().describe() + " (choose another --metrics-port)", 1);
    metrics_server = std::move(*server);
    TW_INFO(kLog, "metrics on http://" << settings->metrics_host << ":" << metrics_server->port() << "/metrics");
  }
#else
  if (settings->metrics_port > 0) TW_WARN(kLog, "--metrics-port ignored: built without tw_http");
#endif

  auto started = host.start(
      connect_options(settings->site_host, settings->site_port, "tw-edge-" + r.edge_id + "-site",
                      settings->site_username, settings->site_password, settings->site_tls),
      connect_options(settings->cloud_host, settings->cloud_port, "tw-edge-" + r.edge_id + "-cloud",
                      settings->cloud_username, settings->cloud_password, settings->cloud_tls));
  if (!started) return fail(started.error().describe(), 1);
  TW_INFO(kLog, "edge " << r.edge_id << " running: site broker " << settings->site_host << ":" << settings->site_port
                        << ", cloud broker " << settings->cloud_host << ":" << settings->cloud_port << ", spool "
                        << settings->spool_path);

  wait_for_shutdown();
  TW_INFO(kLog, "shutting down: committing what was received");
  host.shutdown();
  return 0;
}

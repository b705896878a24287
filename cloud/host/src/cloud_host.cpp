#include "tidewire/cloud/cloud_host.hpp"

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <set>
#include <sstream>

#include "http/server.hpp"
#include "tidewire/cloud/ops_routes.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/common/shutdown.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/transport/paho_client.hpp"
#include "tidewire/transport/tls_options.hpp"

namespace tidewire::cloud {
namespace {

constexpr const char* kLog = "cloud";
constexpr int kHousekeepingMs = 1000;
const std::vector<std::string> kStoreSchemes = {"sqlite"};

using T = OptionSpec::Type;

// Options of earlier releases that named a SQLite file; each still works and maps to
// the store URL option that replaced it.
struct RenamedPathOption {
  const char* old_name;
  const char* module;  // "" = the process-wide --store
};
constexpr RenamedPathOption kRenamedPathOptions[] = {
    {"db-path", ""}, {"dispatch-db-path", "dispatch"}, {"push-db-path", "push"}};

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

std::vector<std::string> split_names(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ',')) {
    auto b = name.find_first_not_of(' '), e = name.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(name.substr(b, e - b + 1));
  }
  return out;
}

// The store URL option's value, or the renamed path option's as a sqlite: URL.
std::string store_text(const Config& config, const std::string& module) {
  std::string option = module.empty() ? "store" : module + "-store";
  if (!config.str(option).empty()) return config.str(option);
  for (const auto& r : kRenamedPathOptions) {
    if (r.module == module && !config.str(r.old_name).empty()) return "sqlite:" + config.str(r.old_name);
  }
  return "";
}

// HTTPS on the API: a certificate and its key, both or neither, readable and loadable as
// the server will load them, so a mistake stops the start before anything is opened.
Status check_https(const Config& config) {
  const std::string cert = config.str("http-tls-cert");
  const std::string key = config.str("http-tls-key");
  if (cert.empty() && key.empty()) return {};
  auto bad = [](const std::string& message) { return make_error(ErrorCode::kInvalidArgument, message); };
  if (key.empty()) return bad("--http-tls-cert needs --http-tls-key: HTTPS takes the certificate and its private key");
  if (cert.empty()) return bad("--http-tls-key needs --http-tls-cert: HTTPS takes the certificate and its private key");
  for (const auto& [option, file] : {std::pair{"http-tls-cert", cert}, std::pair{"http-tls-key", key}}) {
    if (::access(file.c_str(), R_OK) != 0) return bad(std::string("--") + option + ": cannot read " + file);
  }
  if (auto st = http::check_tls_files(cert, key); !st) return st.error().with_context("--http-tls-cert/--http-tls-key");
  return {};
}

}  // namespace

struct CloudHost::Parts {
  explicit Parts(const Config& c) : config(c) {}
  const Config& config;
  ClockPtr clock;
  RandomPtr random;
  MetricsRegistry metrics;
  std::unique_ptr<transport::PahoClient> mqtt;
  std::unique_ptr<DeviceFeed> feed;
  std::unique_ptr<StoreFactory> stores;
  ServiceDirectory services;
  std::unique_ptr<ModuleContext> context;
  std::vector<CloudModule*> opened;  // in start order
  size_t started = 0;                // opened[0..started) have had start()
  std::vector<MqttRoute> routes;
  std::unique_ptr<OpsRoutes> ops;
  std::atomic<bool> stopping{false};
  std::vector<http::RouteInfo> http_routes;
  http::ServerPtr server;
  bool stopped = false;
};

CloudHost::CloudHost(std::vector<CloudModulePtr> modules) : modules_(std::move(modules)) {}

Expected<StoreFactory> CloudHost::make_stores(const Config& config) const {
  auto fallback = parse_store_url(store_text(config, ""), kStoreSchemes);
  if (!fallback) return fallback.error().with_context("--store");
  std::map<std::string, StoreUrl> per_module;
  for (const auto& m : modules_) {
    if (auto text = m->keeps_store() ? store_text(config, m->name()) : ""; !text.empty()) {
      auto url = parse_store_url(text, kStoreSchemes);
      if (!url) return url.error().with_context("--" + m->name() + "-store");
      per_module.emplace(m->name(), *url);
    }
  }
  return StoreFactory(*fallback, std::move(per_module));
}

int CloudHost::run_command(int argc, char** argv) const {
  if (argc < 2) return -1;
  const std::string verb = argv[1];
  for (const auto& m : modules_) {
    for (auto& command : m->commands()) {
      if (command.verb != verb) continue;
      Config config = make_config(command.options);
      auto parsed = config.parse(argc, argv);
      if (!parsed) {
        std::cerr << "tidewire-cloud " << verb << ": " << parsed.error().message << "\n";
        return 2;
      }
      if (!*parsed) {
        std::cout << "usage:\n" << command.usage << "\n\n" << config.usage();
        return 0;
      }
      auto stores = make_stores(config);
      if (!stores) {
        std::cerr << "tidewire-cloud " << verb << ": " << stores.error().message << "\n";
        return 2;
      }
      return command.run(config, *stores);
    }
  }
  return -1;
}

CloudHost::~CloudHost() {
  stop();
  // The server's handlers call modules, and modules use the host's parts (metrics, MQTT)
  // until they are gone: server first, then modules in reverse order, then the rest.
  if (parts_) parts_->server.reset();
  while (!modules_.empty()) modules_.pop_back();
  parts_.reset();
}

Config CloudHost::make_config(std::vector<OptionSpec> extra) const {
  std::vector<std::string> names;
  for (const auto& m : modules_) names.push_back(m->name());
  std::vector<OptionSpec> specs = {
      {"modules", T::kString, joined(names),
       "capability modules this process runs, comma-separated, from: " + joined(names)},
      {"http-host", T::kString, "127.0.0.1", "address the HTTP API listens on (0.0.0.0 for every interface)"},
      {"http-port", T::kInt, "8080", "HTTP API port (0 = any free port, printed at start)"},
      {"http-threads", T::kInt, "8",
       "threads serving HTTP requests (1-64); handlers wait on commits, so more threads than cores let concurrent "
       "requests share one"},
      {"http-max-body-bytes", T::kInt, "1048576", "largest request body accepted; bigger ones get 413"},
      {"http-tls-cert", T::kString, "",
       "PEM certificate (its chain after it) to serve the HTTP API over HTTPS, with --http-tls-key (empty = plain "
       "HTTP); read at start only"},
      {"http-tls-key", T::kString, "", "unencrypted PEM private key of --http-tls-cert (keep it mode 0600)"},
      {"mqtt-host", T::kString, "127.0.0.1", "cloud MQTT broker the edges publish their batches to"},
      {"mqtt-port", T::kInt, "1884", "cloud MQTT broker port"},
      {"mqtt-client-id", T::kString, "tidewire-cloud", "MQTT client id (unique per cloud instance)"},
      {"mqtt-username", T::kString, "", "MQTT user name, if the broker requires one"},
      {"mqtt-password", T::kString, "", "MQTT password (prefer a --config file readable only by the service)"},
      {"mqtt-tls-ca", T::kString, "", "PEM file of the CA that signed the cloud broker's certificate: TLS on (empty = plain TCP)"},
      {"mqtt-tls-cert", T::kString, "", "PEM client certificate for mutual TLS with the cloud broker (empty = none)"},
      {"mqtt-tls-key", T::kString, "", "PEM private key of --mqtt-tls-cert (keep it mode 0600)"},
      {"store", T::kString, "",
       "where the modules keep their data, as a URL: sqlite:///abs/path.db or sqlite:relative.db "
       "(empty = sqlite:<--db-path>)"},
      {"db-path", T::kString, "cloud.db", "SQLite file used when --store is empty (the older form of --store)"},
  };
  for (const auto& m : modules_) {
    if (!m->keeps_store()) continue;
    specs.push_back(
        {m->name() + "-store", T::kString, "", "store URL of the " + m->name() + " module (empty = --store)"});
  }
  for (const auto& r : kRenamedPathOptions) {
    if (*r.module == '\0') continue;
    specs.push_back({r.old_name, T::kString, "",
                     std::string("SQLite file of the ") + r.module + " module (older form of --" + r.module +
                         "-store; empty = --store)"});
  }
  for (const auto& m : modules_) {
    for (auto& spec : m->options()) specs.push_back(std::move(spec));
  }
  specs.push_back({"log-level", T::kString, "info", "debug, info, warn or error"});
  for (auto& spec : clock_option_specs()) specs.push_back(std::move(spec));
  for (auto& spec : extra) specs.push_back(std::move(spec));
  std::string summary =
      "A host of capability modules (" + joined(names) +
      "): stores what the site edges relay and acknowledges each batch after commit, sends commands to devices, "
      "dispatches orders, pushes notifications, evaluates alert rules, and serves the HTTP API.";
  return Config("tidewire-cloud", summary, std::move(specs));
}

Status CloudHost::check(const Config& c) const {
  for (auto [name, lo, hi] :
       std::initializer_list<std::tuple<const char*, int64_t, int64_t>>{{"http-port", 0, 65535},
                                                                        {"http-threads", 1, 64},
                                                                        {"http-max-body-bytes", 1024, 64 * 1024 * 1024},
                                                                        {"mqtt-port", 1, 65535}}) {
    if (auto st = check_range(c, name, lo, hi); !st) return st;
  }
  auto wanted = split_names(c.str("modules"));
  if (wanted.empty()) return make_error(ErrorCode::kInvalidArgument, "--modules names no module");
  std::set<std::string> known;
  for (const auto& m : modules_) known.insert(m->name());
  for (const auto& name : wanted) {
    if (!known.count(name)) {
      std::vector<std::string> all(known.begin(), known.end());
      return make_error(ErrorCode::kInvalidArgument,
                        "--modules: no module '" + name.substr(0, 64) + "' (there are: " + joined(all) + ")");
    }
  }
  if (auto st = parse_store_url(store_text(c, ""), kStoreSchemes); !st) {
    return st.error().with_context("--store");
  }
  for (const auto& m : modules_) {
    if (auto text = m->keeps_store() ? store_text(c, m->name()) : ""; !text.empty()) {
      if (auto st = parse_store_url(text, kStoreSchemes); !st)
        return st.error().with_context("--" + m->name() + "-store");
    }
    if (auto st = m->check(c); !st) return st;
  }
  if (auto clock = make_clock(c); !clock) return clock.error();
  if (auto tls = transport::tls_from_config(c, "mqtt-"); !tls) return tls.error();
  if (auto st = check_https(c); !st) return st;
  if (!c.positionals().empty()) {
    return make_error(ErrorCode::kInvalidArgument, "unexpected argument '" + c.positionals()[0] + "'");
  }
  return {};
}

Status CloudHost::start(const Config& config) {
  parts_ = std::make_unique<Parts>(config);
  Parts& p = *parts_;
  auto clock = make_clock(config);
  if (!clock) return clock.error();
  p.clock = std::move(*clock);
  p.random = make_os_seeded_random();
  p.mqtt = std::make_unique<transport::PahoClient>(transport::PahoClientOptions{&p.metrics, {}});
  p.feed = std::make_unique<DeviceFeed>(p.metrics);

  auto stores = make_stores(config);
  if (!stores) return stores.error();
  p.stores = std::make_unique<StoreFactory>(std::move(*stores));
  transport::PahoClient* mqtt = p.mqtt.get();
  p.context = std::make_unique<ModuleContext>(ModuleContext{config, *p.clock, *p.random, p.metrics, *p.mqtt,
                                                            [mqtt] { return mqtt->is_connected(); }, *p.feed, *p.stores,
                                                            p.services});

  auto wanted = split_names(config.str("modules"));
  std::set<std::string> selected(wanted.begin(), wanted.end());
  for (auto& m : modules_) {
    if (!selected.count(m->name())) continue;
    if (auto st = m->open(*p.context); !st) return st.error().with_context("module " + m->name());
    p.opened.push_back(m.get());
    for (auto& route : m->mqtt_routes()) p.routes.push_back(std::move(route));
  }

  // Each message goes to the first module whose filter matches its topic.
  p.mqtt->set_message_handler([&p](const transport::Message& m) {
    for (const auto& route : p.routes) {
      if (topics::filter_matches(route.filter, m.topic)) return route.handler(m);
    }
    TW_DEBUG(kLog, "no module subscribed to " << m.topic.substr(0, 200));
  });
  const std::string broker = config.str("mqtt-host") + ":" + std::to_string(config.integer("mqtt-port"));
  p.mqtt->set_connection_handler([broker, &p](bool up) {
    if (up)
      TW_INFO(kLog, "connected to the cloud broker " << broker);
    else if (p.stopping)
      TW_INFO(kLog, "disconnected from the cloud broker " << broker);
    else
      TW_WARN(kLog, "lost the cloud broker " << broker << "; reconnecting (edges keep their batches meanwhile)");
  });
  for (const auto& route : p.routes) {
    if (auto st = p.mqtt->subscribe(route.filter, route.qos); !st)
      return st.error().with_context("subscribe " + route.filter);
  }
  for (auto* m : p.opened) {
    if (auto st = m->start(); !st) return st.error().with_context("start module " + m->name());
    ++p.started;
  }
  transport::ConnectOptions connect;
  connect.host = config.str("mqtt-host");
  connect.port = static_cast<int>(config.integer("mqtt-port"));
  connect.client_id = config.str("mqtt-client-id");
  connect.username = config.str("mqtt-username");
  connect.password = config.str("mqtt-password");
  auto tls = transport::tls_from_config(config, "mqtt-");
  if (!tls) return tls.error();
  connect.tls = *tls;
  connect.tcp_nodelay = true;  // notifications, offers and commands are waited for
  if (auto st = p.mqtt->connect(connect); !st) {
    return make_error(st.error().code, st.error().message + " (check --mqtt-host and --mqtt-port)");
  }

  http::Router router;
  p.ops = std::make_unique<OpsRoutes>(p.metrics, p.context->mqtt_connected,
                                      [mqtt] { return transport::describe(mqtt->refused_subscriptions()); });
  for (auto* m : p.opened) {
    if (auto st = p.ops->install_module(*m, router); !st)
      return st.error().with_context("routes of module " + m->name());
  }
  if (auto st = p.ops->install(router); !st) return st.error().with_context("the host's routes");
  // The identity module provides the Gate; without one only open routes answer (the
  // router's default), so a cloud run without identity is closed, not open.
  if (auto* gate = p.services.find<http::Gate>()) {
    router.set_gate(std::shared_ptr<http::Gate>(gate, [](http::Gate*) {}));
  } else {
    TW_WARN(kLog, "no module checks credentials (add identity to --modules): only /healthz will answer");
  }
  p.http_routes = router.routes();
  http::ServerOptions http_options;
  http_options.host = config.str("http-host");
  http_options.port = static_cast<int>(config.integer("http-port"));
  http_options.threads = static_cast<int>(config.integer("http-threads"));
  http_options.max_body_bytes = static_cast<size_t>(config.integer("http-max-body-bytes"));
  http_options.tls_cert_file = config.str("http-tls-cert");
  http_options.tls_key_file = config.str("http-tls-key");
  http_options.name = "api";
  http_options.metrics = &p.metrics;
  auto server = http::Server::start(http_options, std::move(router));
  if (!server) {
    const bool https = !http_options.tls_cert_file.empty() || !http_options.tls_key_file.empty();
    return make_error(server.error().code, server.error().message + (https ? " (check --http-host, --http-port, "
                                                                             "--http-tls-cert and --http-tls-key)"
                                                                           : " (set --http-host / --http-port)"));
  }
  p.server = std::move(*server);

  std::string url = std::string(p.server->tls() ? "https://" : "http://") + http_options.host + ":" +
                    std::to_string(p.server->port());
  TW_INFO(kLog, "tidewire-cloud up: modules " << joined(running()) << ", store " << p.stores->url_for("").text
                                              << ", broker " << broker);
  TW_INFO(kLog, "operator: " << url << "/  (API " << url << "/v1/fleet/summary, metrics " << url << "/metrics)");
  return {};
}

int CloudHost::http_port() const {
  return parts_ && parts_->server ? parts_->server->port() : 0;
}

std::vector<std::string> CloudHost::running() const {
  std::vector<std::string> names;
  if (parts_) {
    for (auto* m : parts_->opened) names.push_back(m->name());
  }
  return names;
}

std::vector<http::RouteInfo> CloudHost::routes() const {
  return parts_ ? parts_->http_routes : std::vector<http::RouteInfo>{};
}

MetricsRegistry& CloudHost::metrics() {
  return parts_->metrics;
}

void CloudHost::tick() {
  if (!parts_) return;
  for (size_t i = 0; i < parts_->started; ++i) parts_->opened[i]->tick();
}

int CloudHost::run(const Config& config) {
  int shutdown_fd = install_shutdown_handlers();
  if (auto st = start(config); !st) {
    TW_ERROR(kLog, st.error().message);
    stop();
    return 1;
  }
  while (!shutdown_requested()) {
    pollfd p{shutdown_fd, POLLIN, 0};
    ::poll(&p, 1, kHousekeepingMs);
    if (shutdown_requested()) break;
    tick();
  }
  TW_INFO(kLog, "stopping: closing HTTP, stopping modules in reverse order");
  stop();
  TW_INFO(kLog, "stopped cleanly");
  return 0;
}

void CloudHost::stop() {
  if (!parts_ || parts_->stopped) return;
  Parts& p = *parts_;
  p.stopped = true;
  if (p.server) p.server->stop();
  while (p.started > 0) p.opened[--p.started]->stop();
  p.stopping = true;
  if (p.mqtt) p.mqtt->disconnect();
}

}  // namespace tidewire::cloud

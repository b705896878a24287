// tidewire-cloud: uplink batches from edges in (MQTT), fleet registry (SQLite), commands
// out, and the HTTP API for operators.
#include <poll.h>

#include <atomic>
#include <initializer_list>
#include <iostream>
#include <tuple>
#include <utility>

#include "http/server.hpp"
#include "sqlite/sqlite_order_store.hpp"
#include "sqlite/sqlite_registry.hpp"
#include "tidewire/cloud/batch_ingest.hpp"
#include "tidewire/cloud/command_service.hpp"
#include "tidewire/cloud/fleet_api.hpp"
#include "tidewire/common/config.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/common/shutdown.hpp"
#include "tidewire/dispatch/dispatch_api.hpp"
#include "tidewire/push/push_api.hpp"
#include "push_store.hpp"
#include "push/push_alert_sink.hpp"
#include "sqlite/sqlite_alert_store.hpp"
#include "tidewire/alerts/alert_api.hpp"
#include "tidewire/alerts/alert_runner.hpp"
#include "tidewire/alerts/rules_file.hpp"
#include "webhook_poster.hpp"
#include "tidewire/dispatch/dispatcher_loop.hpp"
#include "tidewire/dispatch/dispatcher_outputs.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/transport/paho_client.hpp"

namespace tidewire::cloud {
namespace {

constexpr const char* kLog = "cloud";
constexpr int kHousekeepingMs = 1000;

using T = OptionSpec::Type;

std::vector<OptionSpec> with_clock_options(std::vector<OptionSpec> specs) {
  for (auto& spec : clock_option_specs()) specs.push_back(std::move(spec));
  return specs;
}

Config make_config() {
  return Config(
      "tidewire-cloud",
      "Stores what the site edges relay (devices, events, status, presence, command results) in SQLite,\n"
      "acknowledges each batch after commit, sends commands to devices, and serves the HTTP API.",
      with_clock_options({
          {"http-host", T::kString, "127.0.0.1", "address the HTTP API listens on (0.0.0.0 for every interface)"},
          {"http-port", T::kInt, "8080", "HTTP API port (0 = any free port, printed at start)"},
          {"http-threads", T::kInt, "8", "threads serving HTTP requests (1-64); handlers wait on commits, so more threads than cores let concurrent requests share one"},
          {"http-max-body-bytes", T::kInt, "1048576", "largest request body accepted; bigger ones get 413"},
          {"mqtt-host", T::kString, "127.0.0.1", "cloud MQTT broker the edges publish their batches to"},
          {"mqtt-port", T::kInt, "1884", "cloud MQTT broker port"},
          {"mqtt-client-id", T::kString, "tidewire-cloud", "MQTT client id (unique per cloud instance)"},
          {"mqtt-username", T::kString, "", "MQTT user name, if the broker requires one"},
          {"mqtt-password", T::kString, "", "MQTT password (prefer a --config file readable only by the service)"},
          {"db-path", T::kString, "cloud.db", "SQLite database file (created if missing)"},
          {"offline-after-s", T::kInt, "120", "a device silent this long is reported offline even without a will"},
          {"command-timeout-s", T::kInt, "60", "deadline of a command whose request sets no timeout_s"},
          {"command-resend-s", T::kInt, "10", "re-send a command without a result after this long"},
          {"ingest-queue-frames", T::kInt, "256", "uplink frames waiting for storage; beyond it they are not acked"},
          {"dispatch-policy", T::kString, "instant",
           "instant (offer each order on arrival) or batch (exact assignment every --batch-interval-s); "
           "the default, for pickups in no --dispatch-regions region"},
          {"dispatch-regions", T::kString, "",
           "regions with their own policy, first match wins: "
           "name:lat_min,lon_min,lat_max,lon_max:instant|batch[:interval_s];... (empty = none)"},
          {"batch-interval-s", T::kInt, "5", "seconds between batch dispatch rounds (also the instant retry sweep)"},
          {"postpone-s", T::kInt, "600", "batch: orders ready further ahead than this wait for a later round"},
          {"offer-timeout-s", T::kInt, "30", "seconds a rider has to answer an offer"},
          {"speed-mpm", T::kInt, "320", "rider speed in metres per minute for travel-time estimates"},
          {"candidate-radius-m", T::kInt, "5000", "riders further than this from the pickup are not offered an order"},
          {"service-s", T::kInt, "240", "time spent at the pickup and at the drop-off each, for ETAs"},
          {"dispatch-db-path", T::kString, "", "SQLite file for orders and merchants (empty = the --db-path file)"},
          {"dispatch-queue", T::kInt, "10000", "tasks waiting for the dispatch thread; beyond it inputs are dropped"},
          {"push-db-path", T::kString, "", "SQLite file for recipients and notifications (empty = the --db-path file)"},
          {"push-default-ttl-s", T::kInt, "86400", "lifetime of a notification whose request sets no ttl_s"},
          {"push-silent-after", T::kInt, "5", "notifications expiring unreceipted in a row before a recipient is marked silent"},
          {"push-rate-per-recipient", T::kInt, "2", "sends per second to one recipient (burst 20)"},
          {"push-fanout-chunk", T::kInt, "2000", "tag recipients expanded per 50 ms tick (bounds how long a fan-out holds the service)"},
          {"alert-rules-file", T::kString, "", "device alert rules, one JSON rule per line (docs/alerts.md); empty = none"},
          {"alert-interval-s", T::kInt, "10", "seconds between alert rule evaluations"},
          {"log-level", T::kString, "info", "debug, info, warn or error"},
      }));
}

Status check_range(const Config& c, const std::string& name, int64_t lo, int64_t hi) {
  int64_t v = c.integer(name);
  if (v < lo || v > hi) {
    return make_error(ErrorCode::kInvalidArgument, "--" + name + "=" + std::to_string(v) + " is out of range (" +
                                                       std::to_string(lo) + ".." + std::to_string(hi) + ")");
  }
  return {};
}

Status check_config(const Config& c) {
  for (auto [name, lo, hi] :
       std::initializer_list<std::tuple<const char*, int64_t, int64_t>>{{"http-port", 0, 65535},
                                                                        {"http-threads", 1, 64},
                                                                        {"http-max-body-bytes", 1024, 64 * 1024 * 1024},
                                                                        {"mqtt-port", 1, 65535},
                                                                        {"offline-after-s", 1, 7 * 24 * 3600},
                                                                        {"command-timeout-s", 1, 24 * 3600},
                                                                        {"command-resend-s", 1, 3600},
                                                                        {"ingest-queue-frames", 1, 100000},
                                                                        {"batch-interval-s", 1, 3600},
                                                                        {"postpone-s", 0, 24 * 3600},
                                                                        {"offer-timeout-s", 1, 3600},
                                                                        {"speed-mpm", 1, 10000},
                                                                        {"candidate-radius-m", 1, 50000},
                                                                        {"service-s", 0, 3600},
                                                                        {"dispatch-queue", 1, 1000000},
                                                                        {"push-default-ttl-s", 1, 7 * 24 * 3600},
                                                                        {"push-silent-after", 1, 1000},
                                                                        {"push-rate-per-recipient", 1, 1000},
                                                                        {"push-fanout-chunk", 1, 100000},
                                                                        {"alert-interval-s", 1, 3600}}) {
    if (auto st = check_range(c, name, lo, hi); !st) return st;
  }
  if (auto p = dispatch::parse_policy(c.str("dispatch-policy")); !p) return p.error();
  if (auto r = dispatch::parse_regions(c.str("dispatch-regions")); !r) return r.error();
  if (auto clock = make_clock(c); !clock) return clock.error();
  if (c.positionals().size() > 0) {
    return make_error(ErrorCode::kInvalidArgument, "unexpected argument '" + c.positionals()[0] + "'");
  }
  return {};
}

// Alert notices go out as push notifications; the key makes a re-send after a crash a duplicate.
int run(const Config& config) {
  int shutdown_fd = install_shutdown_handlers();
  auto clock_ptr = make_clock(config);  // checked in check_config
  Clock& clock = **clock_ptr;
  auto random = make_os_seeded_random();
  MetricsRegistry metrics;

  const std::string db_path = config.str("db-path");
  auto opened = SqliteRegistry::open({db_path, config.integer("offline-after-s") * 1000}, clock);
  if (!opened) {
    TW_ERROR(kLog, "cannot open the database: " << opened.error().message
                                                << " (check --db-path and that its directory is writable)");
    return 1;
  }
  auto registry = std::move(*opened);

  transport::PahoClient mqtt(transport::PahoClientOptions{&metrics, {}});
  CommandOptions command_options;
  command_options.default_timeout_ms = config.integer("command-timeout-s") * 1000;
  command_options.resend_interval_ms = config.integer("command-resend-s") * 1000;
  CommandService commands(*registry, mqtt, clock, *random, metrics, command_options);
  IngestOptions ingest_options;
  ingest_options.max_queue_frames = static_cast<size_t>(config.integer("ingest-queue-frames"));
  BatchIngest ingest(*registry, mqtt, metrics, clock, ingest_options);

  // Dispatch: orders and merchants in their own tables (same file unless told otherwise).
  std::string dispatch_db = config.str("dispatch-db-path").empty() ? db_path : config.str("dispatch-db-path");
  auto order_store = dispatch::SqliteOrderStore::open(dispatch_db);
  if (!order_store) {
    TW_ERROR(kLog, "cannot open the dispatch database " << dispatch_db << ": " << order_store.error().message
                                                        << " (check --dispatch-db-path)");
    return 1;
  }
  dispatch::DispatcherOptions dispatch_options;
  dispatch_options.policy.kind = *dispatch::parse_policy(config.str("dispatch-policy"));
  dispatch_options.regions = *dispatch::parse_regions(config.str("dispatch-regions"));  // checked in check_config
  dispatch_options.policy.batch_interval_ms = config.integer("batch-interval-s") * 1000;
  dispatch_options.policy.postpone_ms = config.integer("postpone-s") * 1000;
  dispatch_options.policy.candidate_radius_m = static_cast<double>(config.integer("candidate-radius-m"));
  dispatch_options.policy.service_ms = config.integer("service-s") * 1000;
  dispatch_options.book.offer_timeout_ms = config.integer("offer-timeout-s") * 1000;
  auto travel = dispatch::StraightLineTravel::create(static_cast<double>(config.integer("speed-mpm")));
  if (!travel) {
    TW_ERROR(kLog, travel.error().message << " (check --speed-mpm)");
    return 1;
  }
  dispatch::CommandOfferSender offer_sender(commands);
  dispatch::TransportUpdatePublisher update_publisher(mqtt);
  dispatch::Dispatcher dispatcher(**order_store, offer_sender, update_publisher,
                                  std::make_shared<dispatch::StraightLineTravel>(*travel), clock, *random, metrics,
                                  dispatch_options);
  if (auto st = dispatcher.restore(); !st) {
    TW_ERROR(kLog, "cannot load open orders from " << dispatch_db << ": " << st.error().message);
    return 1;
  }
  dispatch::DispatchLoop dispatch_loop(dispatcher, clock, metrics,
                                       static_cast<size_t>(config.integer("dispatch-queue")));
  IngestObserver observer;
  // Rider status is latest-wins: a full queue drops it and the next report covers it.
  // Reports, answers and merchant orders decide things: they must be applied before the
  // batch is acked, or a crash (or a full queue) between ack and apply would lose them
  // for good. So the hooks note a refused hand-off, and settle() waits for the loop to
  // run everything handed to it (its queue is FIFO); either failing withholds the ack and
  // the edge re-sends the batch, whose copies the OrderBook absorbs. All on the ingest
  // thread, so a plain flag does.
  auto handoff_refused = std::make_shared<bool>(false);
  auto hand_off = [&dispatch_loop, handoff_refused](std::function<void(dispatch::Dispatcher&)> task) {
    if (!dispatch_loop.post(std::move(task))) *handoff_refused = true;
  };
  observer.on_rider_status = [&dispatch_loop](const std::string& id, const v1::RiderStatus& s, int64_t at) {
    dispatch_loop.post([id, s, at](dispatch::Dispatcher& d) { d.on_rider_status(id, s, at); });
  };
  observer.on_rider_event = [hand_off](const std::string& id, const v1::Event& e) {
    hand_off([id, e](dispatch::Dispatcher& d) { d.on_rider_event(id, e); });
  };
  observer.on_merchant_event = [hand_off](const v1::Envelope& env) {
    hand_off([env](dispatch::Dispatcher& d) { d.on_merchant_event(env); });
  };
  observer.on_dispatch_result = [hand_off](const std::string& id, const std::string& name,
                                           const v1::CommandResult& r) {
    if (name != "dispatch.offer") return;
    hand_off([id, r](dispatch::Dispatcher& d) { d.on_offer_result(id, r); });
  };
  observer.settle = [&dispatch_loop, handoff_refused]() {
    bool refused = std::exchange(*handoff_refused, false);
    auto applied = dispatch_loop.call([](dispatch::Dispatcher&) -> Status { return {}; }, 10'000);
    return !refused && applied.ok();
  };
  ingest.set_observer(std::move(observer));
  dispatch_loop.start();
  // The ingest worker posts into the loop: on any return it stops before the loop goes.
  struct StopIngestFirst {
    BatchIngest& ingest;
    ~StopIngestFirst() { ingest.stop(); }
  } stop_ingest_first{ingest};

  // Push notifications: their own tables (the registry's file unless told otherwise).
  std::string push_db = config.str("push-db-path").empty() ? db_path : config.str("push-db-path");
  auto push_store = push::PushStore::open(push_db);
  if (!push_store) {
    TW_ERROR(kLog, "cannot open the push database " << push_db << ": " << push_store.error().message
                                                    << " (check --push-db-path)");
    return 1;
  }
  push::PushOptions push_options;
  push_options.default_ttl_ms = config.integer("push-default-ttl-s") * 1000;
  push_options.silent_after = static_cast<uint32_t>(config.integer("push-silent-after"));
  push_options.rate_per_recipient_s = static_cast<double>(config.integer("push-rate-per-recipient"));
  push_options.fanout_chunk = static_cast<size_t>(config.integer("push-fanout-chunk"));
  push::WebhookOptions webhook_options;
  webhook_options.metrics = &metrics;
  auto webhook_sender = std::make_unique<push::WebhookSender>(webhook_options);
  push::SenderWebhookPoster webhook_poster(*webhook_sender);
  push::PushService push_service(**push_store, mqtt, &webhook_poster, clock, *random, metrics, push_options);
  // The sender's last callbacks (its destructor answers every post) land in the service:
  // on any return, stop the service's thread, then the sender, while the service exists.
  struct StopWebhooksBeforeService {
    push::PushService& service;
    std::unique_ptr<push::WebhookSender>& sender;
    ~StopWebhooksBeforeService() {
      service.stop();
      sender.reset();
    }
  } stop_webhooks_first{push_service, webhook_sender};

  // Device alert rules: evaluated over the registry, notices through the push service.
  auto alert_rules = alerts::load_rules_file(config.str("alert-rules-file"), metrics);
  if (!alert_rules) {
    TW_ERROR(kLog, alert_rules.error().message << " (fix --alert-rules-file; docs/alerts.md)");
    return 1;
  }
  auto alert_store = alerts::SqliteAlertStore::open(db_path, clock);
  if (!alert_store) {
    TW_ERROR(kLog, "cannot open the alert store " << db_path << ": " << alert_store.error().message);
    return 1;
  }
  auto alert_engine = alerts::AlertEngine::open(**alert_store, std::move(*alert_rules), metrics);
  if (!alert_engine) {
    TW_ERROR(kLog, "alert rules: " << alert_engine.error().message);
    return 1;
  }
  alerts::PushAlertSink alert_sink(push_service, metrics);
  alerts::AlertRunnerOptions alert_options;
  alert_options.interval_ms = config.integer("alert-interval-s") * 1000;
  alerts::AlertRunner alert_runner(**alert_engine, *registry, alert_sink, clock, metrics, alert_options);

  const std::string broker = config.str("mqtt-host") + ":" + std::to_string(config.integer("mqtt-port"));
  // Edge batches go to ingest; app receipts and inbox syncs to the push service.
  mqtt.set_message_handler([&ingest, &push_service](const transport::Message& m) {
    if (topics::parse_push_topic(m.topic)) {
      push_service.on_message(m);
    } else {
      ingest.submit(m);
    }
  });
  std::atomic<bool> stopping{false};
  mqtt.set_connection_handler([&broker, &stopping](bool up) {
    if (up)
      TW_INFO(kLog, "connected to the cloud broker " << broker);
    else if (stopping)
      TW_INFO(kLog, "disconnected from the cloud broker " << broker);
    else
      TW_WARN(kLog, "lost the cloud broker " << broker << "; reconnecting (edges keep their batches meanwhile)");
  });
  transport::ConnectOptions connect;
  connect.host = config.str("mqtt-host");
  connect.port = static_cast<int>(config.integer("mqtt-port"));
  connect.client_id = config.str("mqtt-client-id");
  connect.username = config.str("mqtt-username");
  connect.password = config.str("mqtt-password");
  connect.tcp_nodelay = true;  // notifications, offers and commands are waited for
  if (auto st = mqtt.subscribe(topics::cloud_batch_filter(), 1); !st) {
    TW_ERROR(kLog, "subscribe " << topics::cloud_batch_filter() << ": " << st.error().message);
    return 1;
  }
  for (const auto& filter : topics::push_uplink_filters()) {
    if (auto st = mqtt.subscribe(filter, 1); !st) {
      TW_ERROR(kLog, "subscribe " << filter << ": " << st.error().message);
      return 1;
    }
  }
  if (auto st = mqtt.connect(connect); !st) {
    TW_ERROR(kLog, st.error().message << " (check --mqtt-host and --mqtt-port)");
    return 1;
  }
  // Whatever way run() returns from here, the client stops delivering before `ingest` goes.
  struct DisconnectOnExit {
    transport::PahoClient& client;
    ~DisconnectOnExit() { client.disconnect(); }
  } disconnect_on_exit{mqtt};
  ingest.start();
  push_service.start();

  FleetApi api(*registry, commands, metrics, [&mqtt] { return mqtt.is_connected(); });
  dispatch::DispatchApi dispatch_api(dispatch_loop, metrics);
  http::Router router;
  if (auto st = api.install(router); !st) {
    TW_ERROR(kLog, "routes: " << st.error().message);
    return 1;
  }
  if (auto st = dispatch_api.install(router); !st) {
    TW_ERROR(kLog, "routes: " << st.error().message);
    return 1;
  }
  push::PushApi push_api(push_service);
  if (auto st = push_api.install(router); !st) {
    TW_ERROR(kLog, "routes: " << st.error().message);
    return 1;
  }
  alerts::AlertApi alert_api(**alert_engine, metrics);
  if (auto st = alert_api.install(router); !st) {
    TW_ERROR(kLog, "routes: " << st.error().message);
    return 1;
  }
  http::ServerOptions http_options;
  http_options.host = config.str("http-host");
  http_options.port = static_cast<int>(config.integer("http-port"));
  http_options.threads = static_cast<int>(config.integer("http-threads"));
  http_options.max_body_bytes = static_cast<size_t>(config.integer("http-max-body-bytes"));
  http_options.name = "api";
  http_options.metrics = &metrics;
  auto server = http::Server::start(http_options, std::move(router));
  if (!server) {
    TW_ERROR(kLog, server.error().message << " (set --http-host / --http-port)");
    ingest.stop();
    mqtt.disconnect();
    return 1;
  }
  std::string url = "http://" + http_options.host + ":" + std::to_string((*server)->port());
  TW_INFO(kLog, "dispatch: policy " << config.str("dispatch-policy") << ", orders in " << dispatch_db);
  TW_INFO(kLog, "tidewire-cloud up: db " << db_path << ", broker " << broker << ", subscribed to "
                                         << topics::cloud_batch_filter());
  TW_INFO(kLog, "operator: " << url << "/  (API " << url << "/v1/fleet/summary, metrics " << url << "/metrics)");

  // Housekeeping on this thread: command expiry and re-sends, until SIGTERM/SIGINT.
  while (!shutdown_requested()) {
    pollfd p{shutdown_fd, POLLIN, 0};
    ::poll(&p, 1, kHousekeepingMs);
    if (shutdown_requested()) break;
    commands.tick();
    alert_runner.tick();  // evaluates every --alert-interval-s; a push only queues (fan-out is chunked)
  }

  TW_INFO(kLog, "stopping: closing HTTP, finishing the batch being stored");
  (*server)->stop();
  ingest.stop();  // the batch in progress is committed and acked; queued ones are re-sent by edges
  dispatch_loop.stop();
  push_service.stop();  // everything it accepted is on disk; unsent deliveries go out after a restart
  stopping = true;
  mqtt.disconnect();
  TW_INFO(kLog, "stopped cleanly");
  return 0;
}

}  // namespace
}  // namespace tidewire::cloud

int main(int argc, char** argv) {
  using namespace tidewire;
  Config config = cloud::make_config();
  auto parsed = config.parse(argc, argv);
  if (!parsed) {
    std::cerr << "tidewire-cloud: " << parsed.error().message << "\n";
    return 2;
  }
  if (!*parsed) {
    std::cout << config.usage();
    return 0;
  }
  if (auto st = cloud::check_config(config); !st) {
    std::cerr << "tidewire-cloud: " << st.error().message << " (see tidewire-cloud --help)\n";
    return 2;
  }
  log::Level level;
  if (!log::parse_level(config.str("log-level"), level)) {
    std::cerr << "tidewire-cloud: --log-level=" << config.str("log-level")
              << " is not one of debug, info, warn, error\n";
    return 2;
  }
  log::set_level(level);
  return cloud::run(config);
}

// tidewire-sim: virtual fleets against a site broker, end-to-end verification,
// benchmarks, and the local demo stack.
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <iostream>
#include <string>

#include "process/process.hpp"
#include "tidewire/common/config.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/common/shutdown.hpp"
#include "tidewire/credentials/login_file.hpp"
#include "tidewire/sim/bench.hpp"
#include "tidewire/sim/fleet.hpp"
#include "tidewire/sim/stack.hpp"
#include "tidewire/sim/verify.hpp"
#include "tidewire/transport/tls_options.hpp"
#include "cli.hpp"

namespace tw = tidewire;
namespace sim = tidewire::sim;
using tw::OptionSpec;
using Type = tw::OptionSpec::Type;

using sim::cli::parse;

namespace {

const char* kUsage =
    "usage: tidewire-sim <command> [options]\n\n"
    "commands:\n"
    "  run              virtual devices against a site broker (optionally verify end to end)\n"
    "  demo             a whole local stack (brokers, cloud, edge) plus a virtual fleet\n"
    "  bench pipeline   raw broker rate vs device->edge->cloud event rate, as JSON\n"
    "  bench dispatch   assignment solve time and cost vs exact reference and greedy, as JSON\n"
    "  bench push       push API, delivered+receipted rate, latency, tag fan-out vs raw broker, as JSON\n"
    "  gen-day          a synthetic delivery day (orders.csv, riders.csv) with lunch and dinner peaks\n"
    "  dispatch         replay a day's orders and riders through the real cloud; metrics as JSON\n"
    "  app              the reference push client: one recipient's app, or N virtual apps\n\n"
    "'tidewire-sim <command> --help' lists a command's options.\n";

std::vector<OptionSpec> fleet_specs() {
  return {
      {"site", Type::kString, "site-1", "site id the devices belong to"},
      {"posters", Type::kInt, "0", "virtual poster screens"},
      {"riders", Type::kInt, "0", "virtual rider terminals"},
      {"encoders", Type::kInt, "0", "virtual live encoders"},
      {"devices", Type::kInt, "0", "shortcut: this many devices split evenly across the three kinds"},
      {"id-prefix", Type::kString, "sim", "device ids are PREFIX-KIND-NNNNN"},
      {"status-interval-ms", Type::kInt, "5000", "telemetry period per device"},
      {"event-interval-ms", Type::kInt, "60000", "mean gap of each device's spontaneous events (0 = none)"},
      {"max-inflight", Type::kInt, "100", "QoS1 window per device connection"},
      {"seed", Type::kInt, "1", "randomness seed (same seed, same fleet)"},
      {"log-level", Type::kString, "info", "debug | info | warn | error"},
  };
}

// The devices' logins from --credentials FILE (a login file: docs/security.md).
bool read_credentials(const tw::Config& c, sim::FleetOptions& fo) {
  if (c.str("credentials").empty()) return true;
  auto book = tw::credentials::read_login_file(c.str("credentials"));
  if (!book) {
    std::cerr << "tidewire-sim: " << book.error().message << "\n";
    return false;
  }
  fo.logins = *book;
  return true;
}

sim::FleetOptions fleet_options(const tw::Config& c) {
  sim::FleetOptions o;
  o.site = c.str("site");
  o.posters = static_cast<int>(c.integer("posters"));
  o.riders = static_cast<int>(c.integer("riders"));
  o.encoders = static_cast<int>(c.integer("encoders"));
  if (int n = static_cast<int>(c.integer("devices")); n > 0) {
    o.posters += n / 3 + (n % 3 > 0 ? 1 : 0);
    o.riders += n / 3 + (n % 3 > 1 ? 1 : 0);
    o.encoders += n / 3;
  }
  o.id_prefix = c.str("id-prefix");
  o.status_interval_ms = c.integer("status-interval-ms");
  o.event_interval_ms = c.integer("event-interval-ms");
  o.max_inflight = static_cast<int>(c.integer("max-inflight"));
  o.seed = static_cast<uint64_t>(c.integer("seed"));
  return o;
}

int cmd_run(int argc, char** argv) {
  auto specs = fleet_specs();
  specs.push_back({"broker-host", Type::kString, "127.0.0.1", "site broker host"});
  specs.push_back({"broker-port", Type::kInt, "1883", "site broker port"});
  specs.push_back({"events-per-device", Type::kInt, "0", "scripted events each device records (for --verify)"});
  specs.push_back({"events-spread-s", Type::kInt, "10", "spread the scripted events over this many seconds"});
  specs.push_back({"verify", Type::kBool, "false", "after the run, check every scripted event is in the cloud once"});
  specs.push_back({"cloud-url", Type::kString, "http://127.0.0.1:8080", "cloud HTTP API, for --verify"});
  specs.push_back(sim::cli::cloud_token_spec());
  specs.push_back({"duration-s", Type::kInt, "0", "stop after this long (0 = until done with --verify, else SIGTERM)"});
  specs.push_back({"timeout-s", Type::kInt, "300", "with --verify: give up waiting for delivery after this long"});
  specs.push_back({"credentials", Type::kString, "",
                   "login file with the devices' device.<id> logins (e.g. a demo's run/logins; docs/security.md)"});
  for (auto& spec : tw::transport::tls_option_specs("broker-", "site broker")) specs.push_back(std::move(spec));
  tw::Config config("tidewire-sim run", "Runs virtual devices against a site broker.", specs);
  if (int rc = parse(config, argc, argv); rc >= 0) return rc;
  auto fo = fleet_options(config);
  fo.broker_host = config.str("broker-host");
  fo.broker_port = static_cast<int>(config.integer("broker-port"));
  if (!read_credentials(config, fo)) return 2;
  auto tls = tw::transport::tls_from_config(config, "broker-");
  if (!tls) {
    std::cerr << "tidewire-sim: " << tls.error().message << "\n";
    return 2;
  }
  fo.tls = *tls;
  bool verify = config.flag("verify");
  sim::HttpEndpoint cloud;
  if (verify) {
    auto parsed = sim::parse_http_url(config.str("cloud-url"), "--cloud-url");
    if (!parsed) {
      std::cerr << "tidewire-sim: " << parsed.error().message << "\n";
      return 2;
    }
    cloud = *parsed;
    auto token = sim::cli::cloud_token(config);
    if (!token) {
      std::cerr << "tidewire-sim: " << token.error().message << "\n";
      return 2;
    }
    cloud.token = *token;
  }
  tw::install_shutdown_handlers();
  tw::SystemClock clock;
  tw::MetricsRegistry metrics;
  if (fo.posters + fo.riders + fo.encoders <= 0) {
    std::cerr << "tidewire-sim: no devices: give --devices N or --posters/--riders/--encoders\n";
    return 2;
  }
  sim::Fleet fleet(fo, clock, metrics);
  if (auto st = fleet.start(); !st) {
    std::cerr << "tidewire-sim: " << st.error().describe() << "\n";
    return 1;
  }
  int per_device = static_cast<int>(config.integer("events-per-device"));
  if (per_device > 0) fleet.record_scripted_events(per_device, config.integer("events-spread-s") * 1000);
  int64_t start = clock.steady_ms();
  int64_t duration_ms = config.integer("duration-s") * 1000;
  int64_t timeout_ms = config.integer("timeout-s") * 1000;
  int64_t next_log = start + 5000;
  bool delivered = false;
  // Waits on the conditions that end the run, each checked against its deadline.
  tw::process::wait_until(
      [&] {
        int64_t now = clock.steady_ms();
        if (now >= next_log) {
          TW_INFO("sim", fleet.summary());
          next_log = now + 5000;
        }
        if (tw::shutdown_requested()) return true;
        if (duration_ms > 0 && now - start >= duration_ms) return true;
        if (verify && duration_ms == 0 && fleet.scripted_recorded() >= fleet.size() * static_cast<uint64_t>(per_device) &&
            fleet.all_acked()) {
          delivered = true;
          return true;
        }
        return verify && duration_ms == 0 && now - start >= timeout_ms;
      },
      INT64_MAX / 4);
  int rc = 0;
  if (verify) {
    if (!delivered) TW_WARN("sim", "not every event was acked by the edge before the deadline");
    // The edge acked everything; give the cloud until the deadline to commit it.
    tw::Expected<sim::VerifyReport> report = tw::make_error(tw::ErrorCode::kTimeout, "not run");
    tw::process::wait_until(
        [&] {
          report = sim::verify_in_cloud(cloud, fleet.ledgers());
          return report.ok() && report->ok();
        },
        std::max<int64_t>(10'000, timeout_ms - (clock.steady_ms() - start)));
    if (!report) {
      std::cerr << "tidewire-sim: verify: " << report.error().describe() << "\n";
      rc = 1;
    } else {
      std::cout << report->to_json() << std::endl;
      rc = report->ok() ? 0 : 1;
    }
  }
  fleet.stop();
  return rc;
}

int cmd_demo(int argc, char** argv) {
  auto specs = fleet_specs();
  specs.push_back({"run-dir", Type::kString, "run", "where generated configs, databases and logs go"});
  specs.push_back({"http-port", Type::kInt, "8080", "the cloud's HTTP port on 127.0.0.1"});
  specs.push_back({"tls", Type::kBool, "false",
                   "every MQTT hop over TLS with a throwaway CA made in RUN-DIR/tls (make demo: TW_DEMO_TLS=1)"});
  tw::Config config("tidewire-sim demo",
                    "Starts a cloud broker, a site broker, tidewire-cloud, tidewire-edge and a virtual fleet on "
                    "loopback. Ctrl-C or SIGTERM stops everything.",
                    specs);
  (void)config.set("devices", "1000", "demo default");
  if (int rc = parse(config, argc, argv); rc >= 0) return rc;
  tw::install_shutdown_handlers();
  sim::StackOptions so;
  so.run_dir = config.str("run-dir");
  so.http_port = static_cast<int>(config.integer("http-port"));
  so.site = config.str("site");
  so.tls = config.flag("tls");
  if (tw::process::port_accepts(so.http_port)) {
    std::cerr << "tidewire-sim: port " << so.http_port
              << " is already in use (another demo still running?); pick another with TW_DEMO_HTTP_PORT or "
                 "--http-port\n";
    return 1;
  }
  auto stack = sim::Stack::start(so);
  if (!stack) {
    std::cerr << "tidewire-sim: " << stack.error().describe() << "\n";
    return 1;
  }
  auto fo = fleet_options(config);
  fo.broker_port = (*stack)->site_broker_port();
  fo.tls = (*stack)->client_tls();
  if (auto st = (*stack)->provision_fleet(fo); !st) {
    std::cerr << "tidewire-sim: " << st.error().describe() << "\n";
    return 1;
  }
  tw::SystemClock clock;
  tw::MetricsRegistry metrics;
  sim::Fleet fleet(fo, clock, metrics);
  if (auto st = fleet.start(); !st) {
    std::cerr << "tidewire-sim: " << st.error().describe() << "\n";
    return 1;
  }
  std::string url = (*stack)->cloud_url();
  // Every route but /healthz needs a token: the demo made an operator one (run/operator.token).
  const std::string auth = "-H \"Authorization: Bearer $(cat " + so.run_dir + "/operator.token)\" ";
  std::cout << "\nTidewire demo is up. Everything is locked: the API takes bearer tokens (docs/security.md).\n"
            << "  operator token  " << so.run_dir << "/operator.token\n"
            << "                  " << (*stack)->operator_token() << "\n"
            << "  fleet summary   curl -H 'Authorization: Bearer " << (*stack)->operator_token() << "' " << url
            << "/v1/fleet/summary\n"
            << "  devices         curl " << auth << "'" << url << "/v1/devices?kind=rider&page_size=5'\n"
            << "  metrics         curl " << auth << url << "/metrics\n"
            << "  health (open)   curl " << url << "/healthz\n"
            << "  more tokens     " << (*stack)->options().bin_dir << "/tidewire-cloud token create --config " << so.run_dir
            << "/cloud.conf --principal NAME --scopes merchant\n"
            << "  configs, logs   " << so.run_dir << "/\n"
            << "  broker logins   " << (*stack)->logins_path() << " (brokers are locked: docs/security.md)\n"
            << "  MQTT            "
            << (so.tls ? "TLS on every hop; clients trust " + (*stack)->client_tls().ca_file + " (a throwaway CA)"
                       : std::string("plain TCP on loopback (TW_DEMO_TLS=1 for TLS)"))
            << "\n"
            << "  credentials     " << (*stack)->options().bin_dir << "/tidewire-cloud credentials list --config "
            << so.run_dir << "/cloud.conf\n"
            << "Ctrl-C stops every process.\n"
            << std::endl;
  int64_t next_log = clock.steady_ms() + 10'000;
  tw::process::wait_until(
      [&] {
        if (clock.steady_ms() >= next_log) {
          TW_INFO("demo", fleet.summary());
          next_log = clock.steady_ms() + 10'000;
        }
        return tw::shutdown_requested();
      },
      INT64_MAX / 4);
  TW_INFO("demo", "stopping: fleet, edge, cloud, brokers");
  fleet.stop();
  (*stack)->stop();
  return 0;
}

int cmd_bench_dispatch(int argc, char** argv) {
  tw::Config config("tidewire-sim bench dispatch",
                    "Measures, in one run, the batch assignment solve time at 5,000 orders x 20,000 riders and "
                    "compares the exact solver's total cost with Boost Graph's min-cost flow (the reference) and "
                    "with greedy nearest-first, on generated instances. Prints JSON.",
                    {{"seed", Type::kInt, "1", "instance seed"},
                     {"orders", Type::kInt, "5000", "open orders in the timed batch"},
                     {"riders", Type::kInt, "20000", "riders in the timed batch"},
                     {"candidates", Type::kInt, "40", "nearest candidate riders per order"},
                     {"repetitions", Type::kInt, "3", "timed solves (the best is reported)"},
                     {"reference-instances", Type::kInt, "5", "instances solved by all three solvers"},
                     {"log-level", Type::kString, "warn", "debug | info | warn | error"}});
  if (int rc = parse(config, argc, argv); rc >= 0) return rc;
  sim::DispatchBenchOptions o;
  o.seed = static_cast<uint64_t>(config.integer("seed"));
  o.batch_orders = static_cast<int32_t>(config.integer("orders"));
  o.batch_riders = static_cast<int32_t>(config.integer("riders"));
  o.candidates_per_order = static_cast<int32_t>(config.integer("candidates"));
  o.repetitions = static_cast<int>(std::max<int64_t>(1, config.integer("repetitions")));
  o.reference_instances = static_cast<int>(config.integer("reference-instances"));
  auto report = sim::bench_dispatch(o);
  if (!report) {
    std::cerr << "tidewire-sim: bench dispatch: " << report.error().describe() << "\n";
    return 1;
  }
  std::cout << *report << std::endl;
  return 0;
}

int cmd_bench_push(int argc, char** argv) {
  tw::Config config("tidewire-sim bench push",
                    "Starts its own stack on free loopback ports and measures, in one run, through the real "
                    "tidewire-cloud and reference apps: notifications/s accepted by POST /v1/push, delivered "
                    "with receipts end to end, p50/p99 latency from the API call at a paced target rate, a tag "
                    "fan-out's time to the last receipt, and the cloud broker's raw QoS1 publish->subscribe "
                    "rate. Prints JSON (docs/push_bench.md).",
                    {{"run-dir", Type::kString, "run/bench-push", "scratch folder for brokers, databases, logs"},
                     {"client-threads", Type::kInt, "32", "HTTP client threads posting, each on one kept-alive connection (the cloud gets as many HTTP threads)"},
                     {"apps", Type::kInt, "1000", "online apps the throughput and latency phases post to"},
                     {"flood", Type::kInt, "20000", "notifications posted as fast as the client threads go"},
                     {"latency-notifications", Type::kInt, "30000", "notifications posted paced at --target-rate"},
                     {"target-rate", Type::kInt, "10000", "notifications/s offered in the latency phase"},
                     {"latency-sample", Type::kInt, "1000", "notifications whose cloud receipt time is read back"},
                     {"fanout-recipients", Type::kInt, "100000", "recipients carrying the fan-out tag"},
                     {"fanout-apps", Type::kInt, "5000", "of those, apps of their own (3 open files each: ulimit -n bounds it)"},
                     {"fanout-gateway-connections", Type::kInt, "16",
                      "the other recipients answer through an InboxGateway over this many shared-subscription "
                      "connections (0 = they stay offline)"},
                     {"rate-per-recipient", Type::kInt, "1000", "cloud push-rate-per-recipient (product default 2)"},
                     {"fanout-chunk", Type::kInt, "2000", "cloud push-fanout-chunk"},
                     {"raw-messages", Type::kInt, "50000", "messages for the raw broker reference"},
                     {"phase-s", Type::kInt, "30", "stop posting in a load phase after this long (reported)"},
                     {"timeout-s", Type::kInt, "300", "give up a phase after this long"},
                     {"log-level", Type::kString, "warn", "debug | info | warn | error"}});
  if (int rc = parse(config, argc, argv); rc >= 0) return rc;
  sim::PushBenchOptions o;
  o.phase_s = config.integer("phase-s");
  o.run_dir = config.str("run-dir");
  o.client_threads = static_cast<int>(config.integer("client-threads"));
  o.apps = static_cast<int>(config.integer("apps"));
  o.flood_notifications = config.integer("flood");
  o.latency_notifications = config.integer("latency-notifications");
  o.target_rate = static_cast<double>(config.integer("target-rate"));
  o.latency_sample = static_cast<int>(config.integer("latency-sample"));
  o.fanout_recipients = static_cast<int>(config.integer("fanout-recipients"));
  o.fanout_apps = static_cast<int>(config.integer("fanout-apps"));
  o.fanout_gateway_connections = static_cast<int>(config.integer("fanout-gateway-connections"));
  o.rate_per_recipient = static_cast<int>(config.integer("rate-per-recipient"));
  o.fanout_chunk = static_cast<int>(config.integer("fanout-chunk"));
  o.raw_messages = static_cast<int>(config.integer("raw-messages"));
  o.timeout_s = config.integer("timeout-s");
  auto report = sim::bench_push(o);
  if (!report) {
    std::cerr << "tidewire-sim: bench push: " << report.error().describe() << "\n";
    return 1;
  }
  std::cout << *report << std::endl;
  return 0;
}

int cmd_bench(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "dispatch") == 0) return cmd_bench_dispatch(argc - 1, argv + 1);
  if (argc >= 2 && std::strcmp(argv[1], "push") == 0) return cmd_bench_push(argc - 1, argv + 1);
  if (argc < 2 || std::strcmp(argv[1], "pipeline") != 0) {
    std::cerr << "usage: tidewire-sim bench pipeline|dispatch|push [options]   (see --help)\n";
    return (argc >= 2 && (std::strcmp(argv[1], "--help") == 0)) ? 0 : 2;
  }
  tw::Config config("tidewire-sim bench pipeline",
                    "Measures, in one run on loopback, the raw mosquitto QoS1 publish->subscribe rate and the "
                    "device->edge->cloud event rate for the same payload size, and prints both and their ratio "
                    "as JSON; with --tls, both again over TLS and the TLS-to-plain ratios.",
                    {{"run-dir", Type::kString, "run/bench", "scratch folder for brokers, databases, logs"},
                     {"devices", Type::kInt, "100", "virtual devices publishing events"},
                     {"events-per-device", Type::kInt, "500", "events each device records"},
                     {"raw-messages", Type::kInt, "50000", "messages for the raw broker reference"},
                     {"max-inflight", Type::kInt, "100", "QoS1 window per connection, both legs"},
                     {"tls", Type::kBool, "false",
                      "measure both again with every MQTT hop over TLS (throwaway CA) and report TLS/plain ratios"},
                     {"log-level", Type::kString, "warn", "debug | info | warn | error"}});
  if (int rc = parse(config, argc - 1, argv + 1); rc >= 0) return rc;
  sim::PipelineBenchOptions o;
  o.run_dir = config.str("run-dir");
  o.devices = static_cast<int>(config.integer("devices"));
  o.events_per_device = static_cast<int>(config.integer("events-per-device"));
  o.raw_messages = static_cast<int>(config.integer("raw-messages"));
  o.max_inflight = static_cast<int>(config.integer("max-inflight"));
  o.compare_tls = config.flag("tls");
  auto report = sim::bench_pipeline(o);
  if (!report) {
    std::cerr << "tidewire-sim: bench pipeline: " << report.error().describe() << "\n";
    return 1;
  }
  std::cout << *report << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  if (cmd == "run") return cmd_run(argc - 1, argv + 1);
  if (cmd == "demo") return cmd_demo(argc - 1, argv + 1);
  if (cmd == "bench") return cmd_bench(argc - 1, argv + 1);
  if (cmd == "gen-day") return sim::cli::cmd_gen_day(argc - 1, argv + 1);
  if (cmd == "dispatch") return sim::cli::cmd_dispatch(argc - 1, argv + 1);
  if (cmd == "app") return sim::cli::cmd_app(argc - 1, argv + 1);
  std::cerr << "tidewire-sim: unknown command '" << cmd << "'\n" << kUsage;
  return 2;
}

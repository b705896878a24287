// tidewire-sim app: the reference push client. One recipient's app printing each
// notification as a line of JSON, or N virtual apps on one MosquittoLoop with a summary
// every few seconds. Both are VirtualApps (tw_push_app), the code the simulator uses.

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include "cli.hpp"
#include "process/process.hpp"
#include "tidewire/protocols/json.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/common/shutdown.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/push_app/virtual_apps.hpp"
#include "tidewire/transport/tls_options.hpp"

namespace tidewire::sim::cli {
namespace {

using Type = OptionSpec::Type;

}  // namespace

int cmd_app(int argc, char** argv) {
  std::vector<OptionSpec> specs{{"broker-host", Type::kString, "127.0.0.1", "cloud broker host"},
                 {"broker-port", Type::kInt, "1883", "cloud broker port"},
                 {"recipient", Type::kString, "", "one app: the recipient id it connects as"},
                 {"apps", Type::kInt, "0", "virtual apps (instead of --recipient)"},
                 {"id-prefix", Type::kString, "app", "virtual apps' recipient ids are PREFIX-NNNNN"},
                 {"open", Type::kBool, "false", "open every notification shown (sends OPENED after DELIVERED)"},
                 {"open-probability", Type::kDouble, "0", "virtual apps: chance each notification is opened"},
                 {"connects-per-s", Type::kInt, "2000", "connection ramp of the virtual apps"},
                 {"summary-interval-s", Type::kInt, "5", "how often --apps logs its summary"},
                 {"duration-s", Type::kInt, "0", "stop after this long (0 = until SIGTERM)"},
                 {"seed", Type::kInt, "1", "randomness seed (auto-open, reconnect jitter)"},
                 {"credentials", Type::kString, "",
                  "login file with the apps' recipient.<id> logins (tidewire-cloud provision --password-file, or a "
                  "demo's run/logins; docs/security.md)"},
                 {"log-level", Type::kString, "info", "debug | info | warn | error"}};
  for (auto& spec : transport::tls_option_specs("broker-", "cloud broker")) specs.push_back(std::move(spec));
  Config config("tidewire-sim app",
                "The reference push client: connects as a recipient's app to the cloud broker, subscribes to its "
                "inbox, syncs it on every (re)connect, prints each new notification as a line of JSON on stdout and "
                "answers with a DELIVERED receipt (--open: also OPENED). With --apps N, runs N virtual apps "
                "(PREFIX-00001 ...) on one connection loop and logs a summary instead. SIGTERM stops it.",
                specs);
  if (int rc = parse(config, argc, argv); rc >= 0) return rc;

  std::string recipient = config.str("recipient");
  int64_t apps = config.integer("apps");
  bool one = !recipient.empty();
  if (one == (apps > 0)) {
    std::cerr << "tidewire-sim: give either --recipient ID (one app) or --apps N (virtual apps)\n";
    return 2;
  }
  if (one && !topics::valid_id(recipient)) {
    std::cerr << "tidewire-sim: --recipient must be " << topics::kIdRule << "\n";
    return 2;
  }
  // PREFIX-NNNNN must itself be a valid id.
  if (!one && (apps > 1'000'000 || !topics::valid_id(config.str("id-prefix") + "-00000"))) {
    std::cerr << "tidewire-sim: --apps must be at most 1000000 and --id-prefix at most 58 characters; ids are "
                 "PREFIX-NNNNN, "
              << topics::kIdRule << "\n";
    return 2;
  }
  double open_probability = config.flag("open") ? 1.0 : config.real("open-probability");
  if (!(open_probability >= 0 && open_probability <= 1)) {
    std::cerr << "tidewire-sim: --open-probability must be in [0, 1]\n";
    return 2;
  }
  int64_t broker_port = config.integer("broker-port");
  if (broker_port <= 0 || broker_port > 65535) {
    std::cerr << "tidewire-sim: --broker-port must be in 1..65535\n";
    return 2;
  }

  auto tls = transport::tls_from_config(config, "broker-");
  if (!tls) {
    std::cerr << "tidewire-sim: " << tls.error().message << "\n";
    return 2;
  }

  push_app::VirtualAppsOptions o;
  o.broker_host = config.str("broker-host");
  o.tls = *tls;
  o.broker_port = static_cast<int>(broker_port);
  o.recipient_ids = one ? std::vector<std::string>{recipient}
                        : push_app::VirtualApps::numbered_ids(config.str("id-prefix"), static_cast<int>(apps));
  o.auto_open_probability = open_probability;
  o.connects_per_s = static_cast<int>(config.integer("connects-per-s"));
  o.seed = static_cast<uint64_t>(config.integer("seed"));
  o.quiet = !one;
  if (!config.str("credentials").empty()) {
    auto book = credentials::read_login_file(config.str("credentials"));
    if (!book) {
      std::cerr << "tidewire-sim: " << book.error().message << "\n";
      return 2;
    }
    o.logins = *book;
  }

  install_shutdown_handlers();
  SystemClock clock;
  MetricsRegistry metrics;
  push_app::VirtualApps virtual_apps(o, clock, metrics);
  std::mutex out_mu;
  if (one) {
    // "Showing" a notification: one JSON line per new notification, flushed for pipes.
    virtual_apps.set_on_notification([&out_mu](const push_app::PushApp&, const v1::PushDelivery& d) {
      std::lock_guard lock(out_mu);
      std::cout << protocols::to_json(d) << std::endl;
    });
  }
  if (auto st = virtual_apps.start(); !st) {
    std::cerr << "tidewire-sim: " << st.error().describe() << "\n";
    return 1;
  }

  int64_t start = clock.steady_ms();
  int64_t duration_ms = config.integer("duration-s") * 1000;
  int64_t interval_ms = std::max<int64_t>(1, config.integer("summary-interval-s")) * 1000;
  int64_t next_summary = start + interval_ms;
  process::wait_until(
      [&] {
        int64_t now = clock.steady_ms();
        if (!one && now >= next_summary) {
          TW_INFO("app", virtual_apps.summary());
          next_summary = now + interval_ms;
        }
        return shutdown_requested() || (duration_ms > 0 && now - start >= duration_ms);
      },
      INT64_MAX / 4);
  TW_INFO("app", "stopping: " << virtual_apps.summary());
  virtual_apps.stop();
  return 0;
}

}  // namespace tidewire::sim::cli

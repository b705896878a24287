// tidewire-sim gen-day and tidewire-sim dispatch (docs/dispatch.md, "Replay").
#include <iostream>

#include "cli.hpp"
#include "tidewire/common/shutdown.hpp"
#include "tidewire/sim/day.hpp"
#include "tidewire/sim/replay.hpp"

namespace tidewire::sim::cli {
namespace {
using Type = OptionSpec::Type;
}

int cmd_gen_day(int argc, char** argv) {
  Config config("tidewire-sim gen-day",
                "Writes a synthetic delivery day: merchants in a few food streets, a lunch peak (12:00), a dinner "
                "peak (18:30) and a thin base from 09:00 to 23:00, riders on lunch, dinner or all-day shifts. "
                "The same seed gives the same files.",
                {{"orders", Type::kString, "orders.csv", "orders file to write"},
                 {"riders", Type::kString, "riders.csv", "riders file to write"},
                 {"seed", Type::kInt, "1", "randomness seed"},
                 {"orders-per-day", Type::kInt, "2000", "orders in the day"},
                 {"rider-count", Type::kInt, "200", "riders in the day"},
                 {"city-radius-m", Type::kInt, "6000", "orders and riders lie within this of the centre"},
                 {"log-level", Type::kString, "warn", "debug | info | warn | error"}});
  // The spelling `--riders N` is the rider count when N is a number.
  std::vector<char*> args(argv, argv + argc);
  std::string riders_count;
  for (size_t i = 1; i + 1 < args.size(); ++i) {
    std::string a = args[i], v = args[i + 1];
    if (a == "--riders" && !v.empty() && v.find_first_not_of("0123456789") == std::string::npos) {
      riders_count = v;
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
      break;
    }
  }
  if (int rc = parse(config, static_cast<int>(args.size()), args.data()); rc >= 0) return rc;
  if (!riders_count.empty()) (void)config.set("rider-count", riders_count, "--riders");
  DayOptions o;
  o.seed = static_cast<uint64_t>(config.integer("seed"));
  o.orders = static_cast<int>(config.integer("orders-per-day"));
  o.riders = static_cast<int>(config.integer("rider-count"));
  o.city_radius_m = static_cast<double>(config.integer("city-radius-m"));
  if (auto st = validate(o); !st) {
    std::cerr << "tidewire-sim gen-day: " << st.error().message << "\n";
    return 2;
  }
  Day day = generate_day(o);
  for (auto st : {write_orders_csv(config.str("orders"), day.orders), write_riders_csv(config.str("riders"), day.riders)}) {
    if (!st) {
      std::cerr << "tidewire-sim gen-day: " << st.error().message << "\n";
      return 1;
    }
  }
  std::cout << "wrote " << day.orders.size() << " orders to " << config.str("orders") << " and " << day.riders.size()
            << " riders to " << config.str("riders") << "\n";
  return 0;
}

int cmd_dispatch(int argc, char** argv) {
  Config config("tidewire-sim dispatch",
                "Replays a delivery day through the real cloud: merchants and orders over HTTP, riders as virtual "
                "rider terminals over MQTT through an edge site. Without --cloud it starts its own stack (brokers, "
                "edge, cloud) on free loopback ports, all on one clock --time-scale times faster than real time, "
                "and stops it at the end. Prints the replay's metrics as JSON.",
                {{"orders", Type::kString, "", "orders.csv (order_id,placed_s,ready_s,pickup_lat,pickup_lon,dropoff_lat,dropoff_lon)"},
                 {"riders", Type::kString, "", "riders.csv (rider_id,lat,lon,on_s,off_s)"},
                 {"policy", Type::kString, "batch", "instant | batch"},
                 {"speed-mpm", Type::kDouble, "320", "rider speed in metres per minute (riders and the cloud's ETAs)"},
                 {"service-s", Type::kDouble, "240", "time at the pickup and at the drop-off each"},
                 {"promise-s", Type::kInt, "2700", "promised delivery = placed + this (at least ready + 15 min)"},
                 {"time-scale", Type::kDouble, "0", "the day runs this many times faster; 0 = 60 on the replay's own stack, 1 with --cloud"},
                 {"accept-probability", Type::kDouble, "0.9", "chance a virtual rider accepts an offer it can take"},
                 {"from-s", Type::kInt, "0", "replay orders placed from this second of the day ..."},
                 {"until-s", Type::kInt, "86400", "... until this one"},
                 {"drain-s", Type::kInt, "10800", "after the last order, wait at most this long (day time) for open orders"},
                 {"cloud", Type::kString, "", "a running cloud, http://HOST:PORT (default: start a local stack)"},
                 cloud_token_spec(),
                 {"site-host", Type::kString, "127.0.0.1", "with --cloud: the site broker the riders connect to"},
                 {"site-port", Type::kInt, "0", "with --cloud: its port"},
                 {"credentials", Type::kString, "",
                  "with --cloud: login file with the riders' device.<id> logins (docs/security.md)"},
                 {"site", Type::kString, "site-1", "the riders' site id"},
                 {"run-dir", Type::kString, "run/dispatch", "configs, databases and logs of the local stack"},
                 {"cloud-config", Type::kString, "", "extra `key = value` lines (\\n-separated) for the local cloud"},
                 {"seed", Type::kInt, "1", "the virtual riders' randomness"},
                 {"log-level", Type::kString, "info", "debug | info | warn | error"}});
  if (int rc = parse(config, argc, argv); rc >= 0) return rc;
  ReplayOptions o;
  o.orders_csv = config.str("orders");
  o.riders_csv = config.str("riders");
  o.policy = config.str("policy");
  o.speed_mpm = config.real("speed-mpm");
  o.service_s = config.real("service-s");
  o.promise_s = config.integer("promise-s");
  o.time_scale = config.real("time-scale");
  o.accept_probability = config.real("accept-probability");
  o.from_s = config.integer("from-s");
  o.until_s = config.integer("until-s");
  o.drain_s = config.integer("drain-s");
  o.cloud_url = config.str("cloud");
  auto token = cloud_token(config);
  if (!token) {
    std::cerr << "tidewire-sim dispatch: " << token.error().message << "\n";
    return 2;
  }
  o.cloud_token = *token;
  o.site_host = config.str("site-host");
  o.site_port = static_cast<int>(config.integer("site-port"));
  o.credentials_file = config.str("credentials");
  o.site = config.str("site");
  o.run_dir = config.str("run-dir");
  o.extra_cloud_config = config.str("cloud-config");
  for (size_t p = 0; (p = o.extra_cloud_config.find("\\n", p)) != std::string::npos;) o.extra_cloud_config.replace(p, 2, "\n");
  if (!o.extra_cloud_config.empty()) o.extra_cloud_config += "\n";
  o.seed = static_cast<uint64_t>(config.integer("seed"));
  if (o.time_scale == 0) o.time_scale = o.cloud_url.empty() ? 60 : 1;  // a running stack keeps real time
  if (auto st = validate(o); !st) {
    std::cerr << "tidewire-sim dispatch: " << st.error().message << "\n";
    return 2;
  }
  install_shutdown_handlers();
  auto report = run_replay(o);
  if (!report) {
    std::cerr << "tidewire-sim dispatch: " << report.error().describe() << "\n";
    return 1;
  }
  std::cout << *report << std::flush;
  return 0;
}

}  // namespace tidewire::sim::cli

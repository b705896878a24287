#pragma once
// `tidewire-sim dispatch`: replays a delivery day (day.hpp) through the real cloud:
// merchants and orders over HTTP, the riders as virtual rider terminals (the firmware's
// DeviceSession + simulated HAL) over MQTT through an edge site. Without a cloud URL it
// starts its own stack on free loopback ports, every process on one scaled clock, and
// stops it at the end. Prints the replay's metrics as JSON (docs/dispatch.md, "Replay").
#include <cstdint>
#include <string>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/v1/dispatch.pb.h"
#include "tidewire/sim/day.hpp"

namespace tidewire::sim {

struct ReplayOptions {
  std::string orders_csv;
  std::string riders_csv;
  std::string policy = "batch";   // instant | batch
  double speed_mpm = 320;         // riders' speed, and the cloud's travel-time estimate
  double service_s = 240;         // at the pickup and at the drop-off each
  int64_t promise_s = 45 * 60;    // promised delivery: placed + this (at least ready + 15 min)
  double time_scale = 60;         // the replayed day runs this many times faster
  double accept_probability = 0.9;
  int64_t from_s = 0;             // replay orders placed in [from_s, until_s) of the day
  int64_t until_s = 24 * 3600;
  int64_t drain_s = 3 * 3600;     // after the last order, wait at most this (day time) for open orders
  std::string cloud_url;          // "" = start a local stack
  std::string cloud_token;        // with cloud_url: an API token with scope operator
  std::string site_host = "127.0.0.1";  // with cloud_url: the site broker riders connect to
  int site_port = 0;
  std::string credentials_file;  // with cloud_url: a login file with the riders' device.<id> logins
  std::string site = "site-1";
  std::string run_dir = "run/dispatch";
  std::string bin_dir;             // tidewire-cloud/-edge; "" = next to this binary
  std::string extra_cloud_config;  // appended to the local cloud's config (tuning, regions)
  uint64_t seed = 1;
};
Status validate(const ReplayOptions& options);

// What the replay learned about one order.
struct ReplayOrder {
  DayOrder order;
  bool accepted = false;  // the cloud answered 2xx to its POST
  v1::OrderView view;     // as GET /v1/orders/{id} showed it at the end
};

struct ReplayRiderShift {
  std::string id;
  int64_t on_ms = 0;
  int64_t off_ms = 0;
};

// The figures of a replay, from the orders' final views: pure, so tests feed it views.
struct ReplayMetricsInput {
  std::vector<ReplayOrder> orders;
  std::vector<ReplayRiderShift> shifts;  // on the cloud's clock
  int64_t window_start_ms = 0;           // rider time counts from here ...
  int64_t window_end_ms = 0;             // ... to here
  double speed_mpm = 320;
  double service_s = 240;
};
// JSON object (one line per key) with the keys documented in docs/dispatch.md.
std::string replay_metrics_json(const ReplayMetricsInput& input, const std::string& extra_fields = "");

// Runs the whole replay; the JSON on success.
Expected<std::string> run_replay(const ReplayOptions& options);

}  // namespace tidewire::sim

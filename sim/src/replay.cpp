// The dispatch replay: one day's orders and riders through the real cloud.
//
// Time: the replayed day's clock is ScaledClock{scale, start = day start + from_s - warm-up,
// zero = now}. With its own stack every process gets the same three numbers (cloud and
// edge through their time-* options, the fleet in this process), so offers expire, riders
// ride and batch rounds run on one clock, X times faster. Against a running stack
// (--cloud) the day is mapped onto the real clock instead and the scale must be 1.
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "http/client.hpp"
#include "tidewire/protocols/json.hpp"
#include "tidewire/common/backoff.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/common/shutdown.hpp"
#include "tidewire/sim/fleet.hpp"
#include "tidewire/sim/replay.hpp"
#include "tidewire/sim/stack.hpp"

namespace tidewire::sim {
namespace {

constexpr const char* kLog = "replay";
// A Monday 00:00 UTC: the replayed day's date, for a local stack (fixed, so two runs of
// the same files send byte-identical requests).
constexpr int64_t kDayStartMs = 1'767'571'200'000;
constexpr int64_t kWarmUpRealMs = 4'000;  // stack and riders come up before the first order

// One request, retried while the cloud is unreachable or busy (503/504), like a careful
// client; 4xx answers are final.
Expected<http::Response> call(const HttpEndpoint& cloud, const std::string& method, const std::string& target,
                              const std::string& body, const http::HeaderList& headers = {}) {
  Expected<http::Response> last = make_error(ErrorCode::kUnavailable, "not tried");
  for (int attempt = 0; attempt < 8; ++attempt) {
    http::HeaderList all = headers;
    for (auto& h : cloud.auth()) all.push_back(h);
    last = http::http_request(cloud.host, cloud.port, method, target, body, 10'000, all);
    if (last && last->status != 503 && last->status != 504) return last;
    if (shutdown_requested()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100 << std::min(attempt, 4)));
  }
  return last;
}

// Merchants are the distinct pickup points of the file, named in order of appearance.
std::map<std::pair<double, double>, std::string> merchants_of(const std::vector<DayOrder>& orders) {
  std::map<std::pair<double, double>, std::string> ids;
  for (const auto& o : orders) {
    auto key = std::make_pair(o.pickup_lat, o.pickup_lon);
    if (!ids.count(key)) ids.emplace(key, "m-" + std::to_string(ids.size() + 1));
  }
  return ids;
}

std::string cloud_clock_lines(const ScaleOptions& s) {
  std::ostringstream o;
  o << "time-scale = " << s.scale << "\n"
    << "time-start-ms = " << s.start_ms << "\n"
    << "time-zero-ms = " << s.real_zero_ms << "\n";
  return o.str();
}

}  // namespace

Status validate(const ReplayOptions& o) {
  if (o.orders_csv.empty() || o.riders_csv.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "--orders FILE and --riders FILE are required");
  }
  if (o.policy != "instant" && o.policy != "batch") {
    return make_error(ErrorCode::kInvalidArgument, "--policy must be instant or batch");
  }
  if (!(o.speed_mpm >= 10 && o.speed_mpm <= 10'000)) return make_error(ErrorCode::kInvalidArgument, "--speed-mpm must be 10..10000");
  if (!(o.service_s >= 0 && o.service_s <= 3600)) return make_error(ErrorCode::kInvalidArgument, "--service-s must be 0..3600");
  if (o.promise_s < 60 || o.promise_s > 24 * 3600) return make_error(ErrorCode::kInvalidArgument, "--promise-s must be 60..86400");
  if (!(o.time_scale >= 1 && o.time_scale <= 1000)) return make_error(ErrorCode::kInvalidArgument, "--time-scale must be 1..1000");
  if (!o.cloud_url.empty() && o.time_scale != 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "a running stack (--cloud) keeps its own clock: use --time-scale 1 with it, or omit --cloud "
                      "to replay faster on the replay's own stack");
  }
  if (!o.cloud_url.empty() && o.site_port <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "with --cloud, --site-port (the site broker the riders use) is required");
  }
  if (!(o.accept_probability >= 0 && o.accept_probability <= 1)) {
    return make_error(ErrorCode::kInvalidArgument, "--accept-probability must be 0..1");
  }
  if (o.from_s < 0 || o.until_s <= o.from_s) return make_error(ErrorCode::kInvalidArgument, "--from-s must be before --until-s");
  if (o.drain_s < 0 || o.drain_s > 24 * 3600) return make_error(ErrorCode::kInvalidArgument, "--drain-s must be 0..86400");
  return {};
}

Expected<std::string> run_replay(const ReplayOptions& o) {
  if (auto st = validate(o); !st) return st.error();
  auto all_orders = read_orders_csv(o.orders_csv);
  if (!all_orders) return all_orders.error();
  auto all_riders = read_riders_csv(o.riders_csv);
  if (!all_riders) return all_riders.error();
  std::vector<DayOrder> orders;
  for (const auto& order : *all_orders) {
    if (order.placed_s >= o.from_s && order.placed_s < o.until_s) orders.push_back(order);
  }
  if (orders.empty()) return make_error(ErrorCode::kInvalidArgument, "no order of " + o.orders_csv + " is placed in the window");
  const int64_t first_s = orders.front().placed_s;
  const int64_t last_s = orders.back().placed_s;

  // The clock. Real zero lies a warm-up ahead, so the stack and the riders are up before
  // the first order is due.
  const int64_t real_now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  ScaleOptions scale;
  scale.scale = o.time_scale;
  scale.real_zero_ms = real_now + kWarmUpRealMs;
  int64_t day_start_ms = kDayStartMs;
  if (!o.cloud_url.empty()) day_start_ms = scale.real_zero_ms - first_s * 1000;  // the day mapped onto now
  scale.start_ms = day_start_ms + first_s * 1000;
  ScaledClock clock(scale);

  // The stack: our own, or the one at --cloud.
  std::unique_ptr<Stack> stack;
  HttpEndpoint cloud;
  std::string site_host = o.site_host;
  int site_port = o.site_port;
  if (o.cloud_url.empty()) {
    std::error_code ec;
    for (const char* f : {"cloud.db", "cloud.db-wal", "cloud.db-shm", "edge-spool.db", "edge-spool.db-wal", "edge-spool.db-shm"}) {
      std::filesystem::remove(o.run_dir + "/" + f, ec);  // a replay starts from an empty cloud
    }
    StackOptions so;
    so.run_dir = o.run_dir;
    so.bin_dir = o.bin_dir;
    so.site = o.site;
    so.log_level = "warn";
    std::ostringstream cloud_cfg;
    cloud_cfg << cloud_clock_lines(scale) << "dispatch-policy = " << o.policy << "\n"
              << "speed-mpm = " << std::llround(o.speed_mpm) << "\n"
              << "service-s = " << std::llround(o.service_s) << "\n"
              // Offers are re-sent only if the first copy is lost, not while the rider thinks.
              << "command-resend-s = 60\n"
              << "offline-after-s = 600\n"
              << o.extra_cloud_config;
    so.cloud_extra_config = cloud_cfg.str();
    // The edge keeps day time too (rider positions are stamped by it); its uplink must not
    // be paced in day-seconds, and a batch ack may take a real second before it is re-sent.
    std::ostringstream edge_cfg;
    edge_cfg << cloud_clock_lines(scale) << "drain-rate = 0\n"
             << "batch-ack-timeout-ms = " << std::llround(2000 * o.time_scale) << "\n";
    so.edge_extra_config = edge_cfg.str();
    auto started = Stack::start(so);
    if (!started) return started.error().with_context("local stack");
    stack = std::move(*started);
    cloud = {"127.0.0.1", stack->http_port(), stack->operator_token()};
    site_host = "127.0.0.1";
    site_port = stack->site_broker_port();
  } else {
    auto e = parse_http_url(o.cloud_url, "--cloud");
    if (!e) return e.error();
    cloud = *e;
    cloud.token = o.cloud_token;
  }

  // Merchants.
  auto merchants = merchants_of(orders);
  for (const auto& [point, id] : merchants) {
    v1::Merchant m;
    m.set_merchant_id(id);
    m.set_name("Merchant " + id);
    m.set_lat(point.first);
    m.set_lon(point.second);
    auto r = call(cloud, "POST", "/v1/merchants", protocols::to_json(m), {{"Content-Type", "application/json"}});
    if (!r) return r.error().with_context("POST /v1/merchants");
    if (r->status >= 300) return make_error(ErrorCode::kInvalidArgument, "POST /v1/merchants " + id + ": " + r->body);
  }

  // Riders: virtual rider terminals with the file's ids, start points and shifts.
  MetricsRegistry metrics;
  FleetOptions fo;
  fo.site = o.site;
  fo.broker_host = site_host;
  fo.broker_port = site_port;
  fo.status_interval_ms = 15'000;  // day time; positions move ~80 m between reports
  fo.event_interval_ms = 0;
  fo.resend_timeout_ms = std::llround(2000 * o.time_scale);  // two real seconds
  fo.tick_ms = 50;
  fo.seed = o.seed;
  fo.hal.rider_roams = false;
  fo.hal.rider_speed_mps = o.speed_mpm / 60.0;
  fo.hal.pickup_service_s = o.service_s;
  fo.hal.dropoff_service_s = o.service_s;
  fo.hal.rider_accept_probability = o.accept_probability;
  std::vector<ReplayRiderShift> shifts;
  for (const auto& r : *all_riders) {
    RiderSpec spec{r.id, r.lat, r.lon, day_start_ms + r.on_s * 1000, day_start_ms + r.off_s * 1000};
    fo.rider_specs.push_back(spec);
    shifts.push_back({r.id, spec.on_wall_ms, spec.off_wall_ms});
  }
  if (stack) {
    if (auto st = stack->provision_fleet(fo); !st) return st.error().with_context("provision riders");
  } else if (!o.credentials_file.empty()) {
    auto book = credentials::read_login_file(o.credentials_file);
    if (!book) return book.error();
    fo.logins = *book;
  }
  Fleet fleet(fo, clock, metrics);
  if (auto st = fleet.start(); !st) return st.error().with_context("rider fleet");
  TW_INFO(kLog, orders.size() << " orders from " << merchants.size() << " merchants, " << all_riders->size()
                              << " riders, policy " << o.policy << ", " << o.time_scale << "x");

  // Orders, each when the day's clock reaches its placed time.
  std::vector<ReplayOrder> results;
  results.reserve(orders.size());
  const int64_t window_start_ms = clock.wall_ms();
  size_t refused = 0;
  for (const auto& order : orders) {
    int64_t due = day_start_ms + order.placed_s * 1000;
    while (clock.wall_ms() < due && !shutdown_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp<int64_t>(clock.real_ms(due - clock.wall_ms()), 1, 50)));
    }
    if (shutdown_requested()) break;
    auto key = std::make_pair(order.pickup_lat, order.pickup_lon);
    v1::OrderRequest req;
    req.set_order_id(order.id);
    req.set_merchant_id(merchants.at(key));
    req.set_dropoff_lat(order.dropoff_lat);
    req.set_dropoff_lon(order.dropoff_lon);
    req.set_placed_ms(due);
    req.set_ready_ms(day_start_ms + order.ready_s * 1000);
    req.set_promised_ms(std::max(due + o.promise_s * 1000, req.ready_ms() + 15 * 60'000));
    ReplayOrder r;
    r.order = order;
    auto resp = call(cloud, "POST", "/v1/orders", protocols::to_json(req),
                     {{"Content-Type", "application/json"}, {"Idempotency-Key", order.id}});
    r.accepted = resp && (resp->status == 200 || resp->status == 201);
    if (!r.accepted) {
      ++refused;
      TW_WARN(kLog, "order " << order.id << " refused: "
                             << (resp ? std::to_string(resp->status) + " " + resp->body : resp.error().describe()));
    }
    results.push_back(std::move(r));
  }

  // Drain: until no accepted order is open, or the day's drain time is over.
  const int64_t drain_until = day_start_ms + (last_s + o.drain_s) * 1000;
  auto open_orders = [&]() -> int64_t {
    auto r = http::http_request(cloud.host, cloud.port, "GET", "/v1/dispatch/stats", "", 5000, cloud.auth());
    if (!r || r->status != 200) return -1;
    v1::DispatchStats s;
    if (!google::protobuf::util::JsonStringToMessage(r->body, &s).ok()) return -1;
    return static_cast<int64_t>(s.orders_created() + s.orders_offered() + s.orders_assigned() + s.orders_picked_up());
  };
  while (!shutdown_requested() && clock.wall_ms() < drain_until && open_orders() != 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const int64_t window_end_ms = clock.wall_ms();

  // The truth is what the cloud recorded.
  for (auto& r : results) {
    if (!r.accepted) continue;
    auto resp = call(cloud, "GET", "/v1/orders/" + r.order.id, "");
    if (!resp || resp->status != 200 ||
        !google::protobuf::util::JsonStringToMessage(resp->body, &r.view).ok()) {
      return make_error(ErrorCode::kUnavailable, "GET /v1/orders/" + r.order.id + " failed");
    }
  }
  // The dispatcher's own counters, for what the views do not show (bundles, late accepts).
  v1::DispatchStats final_stats;
  if (auto r = http::http_request(cloud.host, cloud.port, "GET", "/v1/dispatch/stats", "", 5000, cloud.auth());
      r && r->status == 200) {
    (void)google::protobuf::util::JsonStringToMessage(r->body, &final_stats);
  }
  fleet.stop();
  if (stack) stack->stop();

  ReplayMetricsInput in;
  in.orders = std::move(results);
  in.shifts = std::move(shifts);
  in.window_start_ms = window_start_ms;
  in.window_end_ms = window_end_ms;
  in.speed_mpm = o.speed_mpm;
  in.service_s = o.service_s;
  std::ostringstream extra;
  extra << "  \"policy\": \"" << o.policy << "\",\n"
        << "  \"time_scale\": " << o.time_scale << ",\n"
        << "  \"riders\": " << all_riders->size() << ",\n"
        << "  \"merchants\": " << merchants.size() << ",\n"
        << "  \"offers_bundled\": " << final_stats.offers_bundled() << ",\n"
        << "  \"stale_accepts\": " << final_stats.stale_accepts() << ",\n"
        << "  \"replayed_day_s\": [" << o.from_s << ", " << std::min<int64_t>(o.until_s, 24 * 3600) << "],\n"
        << "  \"replay_ended_by\": \"" << (shutdown_requested() ? "signal" : window_end_ms >= drain_until ? "drain_deadline" : "all_orders_closed")
        << "\"";
  return replay_metrics_json(in, extra.str());
}

}  // namespace tidewire::sim

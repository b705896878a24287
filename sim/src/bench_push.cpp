// tidewire-sim bench push (docs/push_bench.md): the push path measured through the real
// tidewire-cloud and reference apps on loopback, with the raw broker rate of the same
// stack's cloud broker as the yardstick. A benchmark, not a test: it asserts nothing.
#include <google/protobuf/util/json_util.h>
#include <sys/resource.h>
#include <sys/vfs.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "http/client.hpp"
#include "process/process.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/push_app/inbox_gateway.hpp"
#include "tidewire/push_app/virtual_apps.hpp"
#include "tidewire/sim/bench.hpp"
#include "tidewire/sim/stack.hpp"
#include "tidewire/v1/push.pb.h"

namespace tidewire::sim {
namespace {

using Clock = std::chrono::steady_clock;

const char* kBody = "Your rider is 3 minutes away";

// Bytes of one PushDelivery as the cloud publishes it to an app, for the raw reference.
size_t delivery_payload_bytes() {
  v1::PushDelivery d;
  d.set_notification_id("n-0123456789abcdef0123");
  d.set_recipient_id("bench-t-00001");
  d.set_inbox_seq(12345);
  d.set_title("bench");
  d.set_body(kBody);
  d.set_created_ms(1'700'000'000'000);
  d.set_expires_ms(1'700'000'600'000);
  return d.SerializeAsString().size();
}

// Sum of every series of a Prometheus counter whose label set contains `label`.
double scrape(const std::string& text, const std::string& name, const std::string& label) {
  double total = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    if (line[name.size()] != ' ' && line[name.size()] != '{') continue;
    if (!label.empty() && line.find(label) == std::string::npos) continue;
    total += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

// wait_until polls every 5 ms; an HTTP scrape that often would load the cloud being
// measured, so a condition that costs a request is checked at most every `period_ms`.
std::function<bool()> throttled(int64_t period_ms, std::function<bool()> check) {
  auto last = std::make_shared<Clock::time_point>();
  return [=] {
    auto now = Clock::now();
    if (now - *last < std::chrono::milliseconds(period_ms)) return false;
    *last = now;
    return check();
  };
}

// Nearest-rank percentile of sorted values.
int64_t percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return -1;
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size(), std::max<size_t>(rank, 1)) - 1];
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::max(1e-3, std::chrono::duration<double>(b - a).count());
}

// The apps, the cloud's HTTP API and what the apps saw, for one run.
class PushBench {
 public:
  PushBench(const PushBenchOptions& o, Stack& stack) : o_(o), stack_(stack) {}

  // Each client thread keeps one connection open, as an API client would; every request
  // here is safe to repeat (PUTs, GETs, POSTs with an Idempotency-Key).
  Expected<http::Response> call(const std::string& method, const std::string& target, const std::string& body,
                                const http::HeaderList& headers = {}) {
    thread_local std::unique_ptr<http::Connection> connection;
    thread_local int connected_port = 0;
    if (!connection || connected_port != stack_.http_port()) {
      connection = std::make_unique<http::Connection>("127.0.0.1", stack_.http_port());
      connected_port = stack_.http_port();
    }
    http::HeaderList all = headers;
    all.emplace_back("Authorization", "Bearer " + stack_.operator_token());
    return connection->request(method, target, body, 30'000, all);
  }

  // Runs `work(i)` for i in [0, count) on o_.client_threads threads; returns failures.
  int64_t parallel(int64_t count, const std::function<bool(int64_t)>& work) {
    std::atomic<int64_t> next{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < o_.client_threads; ++t) {
      threads.emplace_back([&] {
        for (int64_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
          if (!work(i)) failed.fetch_add(1);
        }
      });
    }
    for (auto& t : threads) t.join();
    return failed.load();
  }

  // PUT every id with `tag`; returns the registration rate (recipients/s).
  Expected<double> register_recipients(const std::vector<std::string>& ids, const std::string& tag) {
    const std::string body = "{\"kind\":\"RECIPIENT_KIND_CUSTOMER\",\"tags\":[\"" + tag + "\"]}";
    auto t0 = Clock::now();
    int64_t failed = parallel(static_cast<int64_t>(ids.size()), [&](int64_t i) {
      auto r = call("PUT", "/v1/recipients/" + ids[static_cast<size_t>(i)], body);
      return r && (r->status == 200 || r->status == 201);
    });
    if (failed > 0) {
      return make_error(ErrorCode::kUnavailable, std::to_string(failed) + " recipient registrations failed");
    }
    return static_cast<double>(ids.size()) / seconds_between(t0, Clock::now());
  }

  // Starts apps for `ids` and waits until all are connected and subscribed.
  Status start_apps(const std::vector<std::string>& ids) {
    apps_.reset();
    push_app::VirtualAppsOptions ao;
    ao.broker_port = stack_.cloud_broker_port();
    ao.recipient_ids = ids;
    ao.client_id_prefix = "bench-app-";
    auto logins = stack_.provision_recipients(ids);
    if (!logins) return logins.error().with_context("provision apps");
    ao.logins = *logins;
    apps_ = std::make_unique<push_app::VirtualApps>(ao, clock_, metrics_);
    apps_->set_on_notification([this](const push_app::PushApp&, const v1::PushDelivery& d) {
      int64_t now = clock_.wall_ms();
      std::lock_guard lock(mu_);
      arrived_ms_[d.notification_id()].push_back(now);
      last_arrival_ = Clock::now();
      shown_.fetch_add(1);
    });
    if (auto st = apps_->start(); !st) return st;
    if (!process::wait_until([&] { return apps_->totals().online == ids.size(); }, 120'000)) {
      return make_error(ErrorCode::kTimeout, "apps did not come online: " + apps_->summary());
    }
    return {};
  }

  double metric(const std::string& name, const std::string& label) {
    auto r = call("GET", "/metrics", "");
    return r && r->status == 200 ? scrape(r->body, name, label) : -1;
  }
  double receipts_delivered() { return metric("tw_push_receipts_total", "kind=\"delivered\""); }
  // Publishes the cloud's MQTT client refused (window full): each waits the retry base
  // (5 s) before it is tried again, which shows in the fan-out's times.
  double sends_refused() { return metric("tw_push_sends_total", "result=\"failed\""); }
  double resends() { return metric("tw_push_resends_total", ""); }

  // Waits until the apps have shown `shown` notifications in all and the cloud has
  // recorded `want` more DELIVERED receipts than `base`; returns when that was first seen
  // (the scrape is polled every 20 ms once the apps are through), or nullopt at the deadline.
  std::optional<Clock::time_point> wait_receipts(int64_t shown, double base, double want) {
    std::optional<Clock::time_point> at;
    auto scrape_ok = throttled(20, [&] { return receipts_delivered() - base >= want; });
    process::wait_until(
        [&] {
          if (shown_.load() < shown || !scrape_ok()) return false;
          at = Clock::now();
          return true;
        },
        o_.timeout_s * 1000);
    return at;
  }

  Clock::time_point last_arrival() {
    std::lock_guard lock(mu_);
    return last_arrival_;
  }

  // POSTs `count` single-recipient notifications round-robin over `ids`, paced at `rate`
  // per second in total (0 = as fast as the client threads go). Records each call's start
  // (wall ms) by notification id.
  struct PostRun {
    int64_t accepted = 0, failed = 0, not_posted = 0;
    Clock::time_point t0, t_end;
  };
  PostRun post_many(const std::vector<std::string>& ids, int64_t count, double rate, const std::string& key_prefix) {
    PostRun run;
    std::mutex mu;
    run.t0 = Clock::now();
    const auto start = run.t0;
    std::atomic<int64_t> not_posted{0};
    const auto cutoff = start + std::chrono::seconds(o_.phase_s);
    run.failed = parallel(count, [&](int64_t i) {
      if (Clock::now() >= cutoff) {  // bounded in time as well as count
        not_posted.fetch_add(1);
        return true;
      }
      if (rate > 0) {
        std::this_thread::sleep_until(start + std::chrono::microseconds(static_cast<int64_t>(1e6 * i / rate)));
      }
      std::string body = "{\"recipient_ids\":[\"" + ids[static_cast<size_t>(i) % ids.size()] +
                         "\"],\"title\":\"bench\",\"body\":\"" + kBody + "\",\"ttl_s\":600}";
      int64_t called = clock_.wall_ms();
      auto r = call("POST", "/v1/push", body, {{"Idempotency-Key", key_prefix + std::to_string(i)}});
      if (!r || r->status != 202) return false;
      v1::PushAccepted a;
      if (!google::protobuf::util::JsonStringToMessage(r->body, &a).ok()) return false;
      std::lock_guard lock(mu);
      called_ms_[a.notification_id()] = called;
      return true;
    });
    run.t_end = Clock::now();
    run.not_posted = not_posted.load();
    run.accepted = count - run.failed - run.not_posted;
    return run;
  }

  // API call -> app shown (and receipt published), over every notification of a run.
  std::vector<int64_t> app_latencies(const std::unordered_map<std::string, int64_t>& called) {
    std::vector<int64_t> out;
    std::lock_guard lock(mu_);
    for (const auto& [id, at] : called) {
      auto it = arrived_ms_.find(id);
      if (it != arrived_ms_.end()) out.push_back(it->second.front() - at);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // API call -> receipt recorded by the cloud (delivered_ms in GET /v1/push/{id}), on an
  // evenly spread sample of the run's notifications.
  std::vector<int64_t> cloud_latencies(const std::unordered_map<std::string, int64_t>& called, int sample) {
    std::vector<std::pair<std::string, int64_t>> all(called.begin(), called.end());
    std::sort(all.begin(), all.end());
    size_t step = std::max<size_t>(1, all.size() / static_cast<size_t>(std::max(1, sample)));
    std::vector<int64_t> out;
    for (size_t i = 0; i < all.size(); i += step) {
      auto r = call("GET", "/v1/push/" + all[i].first, "");
      v1::NotificationView v;
      if (!r || r->status != 200 || !google::protobuf::util::JsonStringToMessage(r->body, &v).ok()) continue;
      for (const auto& d : v.deliveries()) {
        if (d.delivered_ms() > 0) out.push_back(d.delivered_ms() - all[i].second);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  Expected<v1::NotificationView> view(const std::string& id) {
    auto r = call("GET", "/v1/push/" + id, "");
    if (!r) return r.error();
    v1::NotificationView v;
    if (r->status != 200 || !google::protobuf::util::JsonStringToMessage(r->body, &v).ok()) {
      return make_error(ErrorCode::kMalformed, "GET /v1/push/" + id + ": " + std::to_string(r->status));
    }
    return v;
  }

  const PushBenchOptions& o_;
  Stack& stack_;
  SystemClock clock_;
  MetricsRegistry metrics_;
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<int64_t>> arrived_ms_;  // notification -> app arrival (wall ms)
  std::unordered_map<std::string, int64_t> called_ms_;               // notification -> API call start (wall ms)
  Clock::time_point last_arrival_;
  std::atomic<int64_t> shown_{0};
  std::unique_ptr<push_app::VirtualApps> apps_;  // last: stopped before what its handler writes
};

// Every app costs three descriptors here (libmosquitto adds a socket pair per client to
// its TCP socket) and one in the broker (a child: it inherits this limit). Raise the soft
// limit to the hard one, and refuse a size that cannot fit rather than stall half online.
constexpr int kFdsPerApp = 3;
Status check_fd_budget(int apps) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return {};
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
    (void)getrlimit(RLIMIT_NOFILE, &rl);
  }
  rlim_t need = static_cast<rlim_t>(apps) * kFdsPerApp + 500;
  if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::to_string(apps) + " connected apps need about " + std::to_string(need) +
                          " open files (3 per app) but RLIMIT_NOFILE is " + std::to_string(rl.rlim_cur) +
                          "; lower --fanout-apps / --apps or raise ulimit -n");
  }
  return {};
}

// Every POST, send and receipt is a SQLite commit with synchronous=FULL, so the figures
// depend on what the run folder is on (a tmpfs makes fsync free); the report names it.
std::string filesystem_of(const std::string& dir) {
  struct statfs fs {};
  if (statfs(dir.c_str(), &fs) != 0) return "unknown";
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0x01021994: return "tmpfs";
    case 0xEF53: return "ext4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x794c7630: return "overlayfs";
    default: {
      std::ostringstream os;
      os << "0x" << std::hex << static_cast<unsigned long>(fs.f_type);
      return os.str();
    }
  }
}

}  // namespace

Expected<std::string> bench_push(const PushBenchOptions& o) {
  if (o.apps < 1 || o.flood_notifications < 1 || o.latency_notifications < 1 || o.fanout_apps < 1 ||
      o.fanout_recipients < o.fanout_apps || o.client_threads < 1 || o.fanout_gateway_connections < 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "sizes must be positive, and --fanout-recipients at least --fanout-apps");
  }
  if (auto st = check_fd_budget(std::max(o.apps, o.fanout_apps)); !st) return st.error();
  const auto run_start = Clock::now();
  std::error_code ec;
  std::filesystem::remove_all(o.run_dir, ec);
  StackOptions so;
  so.run_dir = o.run_dir;
  so.log_level = "warn";
  // The per-recipient limit (2/s, burst 20) protects one phone from a chatty sender; the
  // load phases send many notifications to each of a few thousand apps, so it is lifted
  // (and reported). The fan-out chunk is the product's unless told. One HTTP thread per
  // client thread lets every concurrent POST join a group commit.
  so.cloud_extra_config = "push-rate-per-recipient = " + std::to_string(o.rate_per_recipient) +
                          "\npush-fanout-chunk = " + std::to_string(o.fanout_chunk) +
                          "\nhttp-threads = " + std::to_string(std::clamp(o.client_threads, 1, 64)) + "\n";
  auto stack = Stack::start(so);
  if (!stack) return stack.error();
  PushBench b(o, **stack);
  std::ostringstream js;
  js << "{\"bench\":\"push\",\"run_dir_filesystem\":\"" << filesystem_of(o.run_dir)
     << "\",\"client_threads\":" << o.client_threads << ",\"phase_s\":" << o.phase_s
     << ",\"cloud\":{\"push_rate_per_recipient\":" << o.rate_per_recipient << ",\"push_fanout_chunk\":" << o.fanout_chunk
     << "}";

  // 1. Reference: the raw rate of the very broker the cloud publishes through.
  size_t payload = delivery_payload_bytes();
  // The broker is locked: the path a notification takes, the cloud's login publishing to
  // one recipient's inbox.
  RawPubSubRoute route;
  route.topic = *topics::push_topic("bench-raw", topics::PushChannel::kInbox);
  route.publisher = {credentials::username(credentials::PrincipalKind::kCloud, (*stack)->options().cloud_id),
                     (*stack)->logins().at(credentials::username(credentials::PrincipalKind::kCloud,
                                                                 (*stack)->options().cloud_id))};
  auto raw_app = (*stack)->provision_recipients({"bench-raw"});
  if (!raw_app) return raw_app.error().with_context("raw reference");
  route.subscriber = {raw_app->begin()->first, raw_app->begin()->second};
  auto raw = measure_raw_pubsub((*stack)->cloud_broker_port(), o.raw_messages, payload, 100, 1, route);
  if (!raw) return raw.error().with_context("raw reference");
  js << ",\"raw_broker\":{\"qos\":1,\"payload_bytes\":" << payload << ",\"messages\":" << o.raw_messages
     << ",\"pubsub_msgs_per_s\":" << static_cast<int64_t>(*raw) << "}";

  // A phase that fails still leaves the phases before it worth reading.
  auto fail = [&](Error e) -> Error {
    TW_WARN("bench", "push bench stopped early; measured so far: " << js.str() << "}");
    return e;
  };
  // 2. Throughput: POST as fast as the client threads go, each to one of `apps` apps.
  auto load_ids = push_app::VirtualApps::numbered_ids("bench-t", o.apps);
  auto reg = b.register_recipients(load_ids, "bench.load");
  if (!reg) return fail(reg.error().with_context("registering load recipients"));
  if (auto st = b.start_apps(load_ids); !st) return fail(st.error());
  int64_t shown = b.shown_.load();
  double base = b.receipts_delivered();
  auto flood = b.post_many(load_ids, o.flood_notifications, 0, "flood-");
  auto flood_done = b.wait_receipts(shown + flood.accepted, base, static_cast<double>(flood.accepted));
  if (!flood_done) {
    return fail(make_error(ErrorCode::kTimeout, "flood: receipts short of " + std::to_string(flood.accepted) + " after " +
                                               std::to_string(o.timeout_s) + " s: " + b.apps_->summary()));
  }
  double accept_rate = static_cast<double>(flood.accepted) / seconds_between(flood.t0, flood.t_end);
  double delivered_rate = static_cast<double>(flood.accepted) / seconds_between(flood.t0, *flood_done);
  js << ",\"throughput\":{\"apps\":" << o.apps << ",\"notifications\":" << o.flood_notifications
     << ",\"posted\":" << flood.accepted + flood.failed
     << ",\"failed_posts\":" << flood.failed << ",\"accepted_per_s\":" << static_cast<int64_t>(accept_rate)
     << ",\"delivered_receipted_per_s\":" << static_cast<int64_t>(delivered_rate)
     << ",\"ratio_delivered_to_raw\":" << delivered_rate / *raw << "}";

  // 3. Latency at a target rate: paced POSTs; the achieved rate is reported beside it.
  b.called_ms_.clear();
  shown = b.shown_.load();
  base = b.receipts_delivered();
  auto paced = b.post_many(load_ids, o.latency_notifications, o.target_rate, "paced-");
  auto paced_done = b.wait_receipts(shown + paced.accepted, base, static_cast<double>(paced.accepted));
  if (!paced_done) return fail(make_error(ErrorCode::kTimeout, "paced run: receipts missing: " + b.apps_->summary()));
  auto app_lat = b.app_latencies(b.called_ms_);
  auto cloud_lat = b.cloud_latencies(b.called_ms_, o.latency_sample);
  double achieved = static_cast<double>(paced.accepted) / seconds_between(paced.t0, paced.t_end);
  js << ",\"latency\":{\"target_per_s\":" << o.target_rate << ",\"achieved_per_s\":" << static_cast<int64_t>(achieved)
     << ",\"notifications\":" << o.latency_notifications << ",\"posted\":" << paced.accepted + paced.failed << ",\"failed_posts\":" << paced.failed
     << ",\"app_shown_ms\":{\"n\":" << app_lat.size() << ",\"p50\":" << percentile(app_lat, 0.5)
     << ",\"p99\":" << percentile(app_lat, 0.99) << ",\"max\":" << (app_lat.empty() ? -1 : app_lat.back()) << "}"
     << ",\"cloud_receipt_ms\":{\"n\":" << cloud_lat.size() << ",\"p50\":" << percentile(cloud_lat, 0.5)
     << ",\"p99\":" << percentile(cloud_lat, 0.99) << ",\"max\":" << (cloud_lat.empty() ? -1 : cloud_lat.back())
     << "}}";
  b.apps_->stop();

  // 4. Tag fan-out: fanout_recipients carry the tag. The first fanout_apps of them are
  // apps of their own (one connection each); the InboxGateway answers for the rest over
  // a few shared-subscription connections, so every recipient is online and receipts.
  auto fan_ids = push_app::VirtualApps::numbered_ids("bench-f", o.fanout_recipients);
  auto fan_reg = b.register_recipients(fan_ids, "bench.fanout");
  if (!fan_reg) return fail(fan_reg.error().with_context("registering fan-out recipients"));
  std::vector<std::string> online(fan_ids.begin(), fan_ids.begin() + o.fanout_apps);
  if (auto st = b.start_apps(online); !st) return fail(st.error());
  const int64_t gateway_recipients = o.fanout_gateway_connections > 0 ? o.fanout_recipients - o.fanout_apps : 0;
  std::atomic<int64_t> gateway_shown{0};
  std::mutex gateway_mu;
  Clock::time_point gateway_last;
  std::unique_ptr<push_app::InboxGateway> gateway;  // after what its handler touches: destroyed first
  if (gateway_recipients > 0) {
    push_app::InboxGatewayOptions go;
    go.broker_port = (*stack)->cloud_broker_port();
    go.connections = o.fanout_gateway_connections;
    credentials::Principal gw;
    gw.kind = credentials::PrincipalKind::kGateway;
    gw.id = "bench-gateway";
    auto login = (*stack)->provision(gw);
    if (!login) return fail(login.error().with_context("provision gateway"));
    go.username = login->username;
    go.password = login->password;
    auto own = std::make_shared<std::unordered_set<std::string>>(online.begin(), online.end());
    go.serves = [own](const std::string& recipient) { return own->count(recipient) == 0; };
    gateway = std::make_unique<push_app::InboxGateway>(go, b.clock_, b.metrics_);
    gateway->set_on_notification([&](const std::string&, const v1::PushDelivery&) {
      gateway_shown.fetch_add(1);
      std::lock_guard lock(gateway_mu);
      gateway_last = Clock::now();
    });
    if (auto st = gateway->start(); !st) return fail(st.error());
    // Its SUBSCRIBE follows CONNECT on each connection, so the broker has taken it by the
    // time the first notification is committed and sent, milliseconds after the POST.
    if (!process::wait_until([&] { return gateway->online() == o.fanout_gateway_connections; }, 30'000)) {
      return fail(make_error(ErrorCode::kTimeout, "inbox gateway did not connect"));
    }
  }
  int64_t shown_before = b.shown_.load();
  base = b.receipts_delivered();
  const double refused_before = b.sends_refused(), resends_before = b.resends();
  auto t0 = Clock::now();
  auto accepted = b.call("POST", "/v1/push",
                         "{\"tags\":[\"bench.fanout\"],\"title\":\"bench\",\"body\":\"" + std::string(kBody) +
                             "\",\"ttl_s\":600}",
                         {{"Idempotency-Key", "fanout-1"}});
  auto t_answer = Clock::now();
  v1::PushAccepted a;
  if (!accepted || accepted->status != 202 ||
      !google::protobuf::util::JsonStringToMessage(accepted->body, &a).ok()) {
    return fail(make_error(ErrorCode::kUnavailable, "fan-out POST refused"));
  }
  // One loop watches all three ends, so each is timed when it happens: the fan-out
  // resolved and every delivery handed to the broker (from the view, every 100 ms), and
  // the last online app's receipt recorded (app counters, then the cloud's metric).
  std::optional<Clock::time_point> t_fanned, t_all_sent, t_receipts;
  auto view_check = throttled(100, [&] {
    auto v = b.view(a.notification_id());
    if (!v) return false;
    if (!t_fanned && v->fanout_done()) t_fanned = Clock::now();
    auto queued = v->by_state().find("DELIVERY_STATE_QUEUED");
    bool none_queued = queued == v->by_state().end() || queued->second == 0;
    return v->fanout_done() && none_queued && v->recipients() == static_cast<uint64_t>(o.fanout_recipients);
  });
  const int64_t receipting = o.fanout_apps + gateway_recipients;
  double receipts_seen = 0;
  auto receipts_check = throttled(20, [&] {
    receipts_seen = b.receipts_delivered() - base;
    return receipts_seen >= static_cast<double>(receipting);
  });
  process::wait_until(
      [&] {
        if (!t_all_sent && view_check()) t_all_sent = Clock::now();
        if (!t_receipts && b.shown_.load() >= shown_before + o.fanout_apps && gateway_shown.load() >= gateway_recipients &&
            receipts_check()) {
          t_receipts = Clock::now();
        }
        return t_all_sent && t_receipts;
      },
      o.timeout_s * 1000);
  auto t_last_shown = b.last_arrival();
  if (!t_receipts) {
    return fail(make_error(ErrorCode::kTimeout, "fan-out: " + std::to_string(static_cast<int64_t>(receipts_seen)) +
                                                    " of " + std::to_string(receipting) +
                                                    " receipts after the timeout; apps: " + b.apps_->summary() +
                                                    "; gateway shown " + std::to_string(gateway_shown.load())));
  }
  std::optional<Clock::time_point> t_gateway_last;
  if (gateway) {
    std::lock_guard lock(gateway_mu);
    t_gateway_last = gateway_last;
  }
  auto since = [&](std::optional<Clock::time_point> t) {
    return t ? std::chrono::duration_cast<std::chrono::milliseconds>(*t - t0).count() : -1;
  };
  push_app::InboxGatewayStats gs = gateway ? gateway->stats() : push_app::InboxGatewayStats{};
  js << ",\"fanout\":{\"tag_recipients\":" << o.fanout_recipients << ",\"apps_online\":" << o.fanout_apps
     << ",\"gateway_recipients\":" << gateway_recipients << ",\"gateway_connections\":" << (gateway ? o.fanout_gateway_connections : 0)
     << ",\"recipients_registered_per_s\":" << static_cast<int64_t>(*fan_reg)
     << ",\"api_answer_ms\":" << std::chrono::duration_cast<std::chrono::milliseconds>(t_answer - t0).count()
     << ",\"fanout_done_ms\":" << since(t_fanned) << ",\"all_sent_ms\":" << since(t_all_sent)
     << ",\"last_app_shown_ms\":" << since(t_last_shown) << ",\"last_gateway_shown_ms\":" << since(t_gateway_last)
     << ",\"last_receipt_recorded_ms\":" << since(t_receipts) << ",\"receipts_recorded\":" << static_cast<int64_t>(receipts_seen)
     << ",\"apps_shown\":" << b.shown_.load() - shown_before << ",\"gateway_shown\":" << gs.shown
     << ",\"gateway_duplicates\":" << gs.duplicates
     << ",\"sends_refused_by_mqtt_client\":" << static_cast<int64_t>(b.sends_refused() - refused_before)
     << ",\"resends\":" << static_cast<int64_t>(b.resends() - resends_before)
     << "},\"run_s\":" << static_cast<int64_t>(seconds_between(run_start, Clock::now())) << "}";
  if (gateway) gateway->stop();
  b.apps_->stop();
  (*stack)->stop();
  return js.str();
}

}  // namespace tidewire::sim

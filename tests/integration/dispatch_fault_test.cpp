// The dispatch fault test (issue 3): merchants and a stream of orders over HTTP,
// virtual rider terminals answering offers, riding and reporting, and a kill -9 of
// tidewire-cloud in the middle while orders keep coming. Afterwards no order is lost, none
// is duplicated by the client's retries, and none was ever worked by two riders, neither in
// the cloud's books nor on the riders' terminals.
#include <google/protobuf/util/json_util.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "stack_fixture.hpp"
#include "tidewire/v1/dispatch.pb.h"
#include "tidewire/v1/fleet.pb.h"

namespace tidewire::testing {
namespace {

constexpr int kRiders = 40;
constexpr int kOrders = 160;
constexpr int kMerchants = 6;
constexpr int64_t kOrderGapMs = 100;  // the client places ~10 orders a second
// The rider terminals ride and serve this much faster than real riders, so a trip (ride
// to the merchant, 240 s there, ride, 240 s at the door) takes seconds, not a quarter of an
// hour. Their clock is the real one: offer deadlines and report times agree with the cloud.
constexpr double kRideScale = 100;
// Central Shanghai, the centre of the disc the simulated riders roam (SimHalOptions).
constexpr double kCentreLat = 31.2304;
constexpr double kCentreLon = 121.4737;

template <typename T>
T from_json(const std::string& body) {
  T out;
  google::protobuf::util::JsonParseOptions o;
  o.ignore_unknown_fields = true;
  auto st = google::protobuf::util::JsonStringToMessage(body, &out, o);
  EXPECT_TRUE(st.ok()) << st.message() << " in " << body;
  return out;
}

std::string to_json(const google::protobuf::Message& m) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out);
  return out;
}

v1::GeoPoint offset_m(double north_m, double east_m) {
  v1::GeoPoint p;
  p.set_lat(kCentreLat + north_m / 111'320.0);
  p.set_lon(kCentreLon + east_m / (111'320.0 * std::cos(kCentreLat * M_PI / 180.0)));
  return p;
}

std::string order_id(int i) {
  char id[32];
  std::snprintf(id, sizeof id, "ord-%04d", i);
  return id;
}

std::string rider_id(int i) {
  char id[32];
  std::snprintf(id, sizeof id, "sim-rider-%05d", i + 1);
  return id;
}

// The customer's app: places orders one after another, each with its own Idempotency-Key,
// and retries an order with the same key until it gets a 2xx or 4xx answer, as a user
// pressing "retry" would (connection refused while the cloud is down, 5xx while it is busy).
class OrderClient {
 public:
  struct Outcome {
    int status = 0;  // last HTTP status; 0 = never answered
    int attempts = 0;
    std::string body;
  };

  OrderClient(int http_port, std::string token) : port_(http_port), token_(std::move(token)), outcomes_(kOrders) {}
  ~OrderClient() { stop(); }

  void start() { thread_ = std::thread([this] { run(); }); }
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  int answered() const { return answered_.load(); }
  int failed_attempts() const { return failed_attempts_.load(); }
  bool done() const { return done_.load(); }
  std::vector<Outcome> outcomes() {
    std::lock_guard lock(mu_);
    return outcomes_;
  }

 private:
  static std::string body_of(int i) {
    v1::OrderRequest r;
    r.set_order_id(order_id(i));
    r.set_merchant_id("m-" + std::to_string(i % kMerchants + 1));
    // Drop-offs spread over a ring 300-1500 m around the centre (golden-angle spiral).
    double angle = static_cast<double>(i) * 2.39996;
    double dist = 300.0 + static_cast<double>((i * 53) % 1200);
    v1::GeoPoint p = offset_m(dist * std::cos(angle), dist * std::sin(angle));
    r.set_dropoff_lat(p.lat());
    r.set_dropoff_lon(p.lon());
    r.set_customer_id("cust-" + std::to_string(i));
    return to_json(r);
  }

  void run() {
    auto next = std::chrono::steady_clock::now();
    for (int i = 0; i < kOrders; ++i) {
      {
        // Pacing, not waiting for a condition: orders arrive at a steady rate.
        std::unique_lock lock(mu_);
        if (cv_.wait_until(lock, next, [this] { return stopping_; })) return;
      }
      next += std::chrono::milliseconds(kOrderGapMs);
      const std::string body = body_of(i);
      const http::HeaderList headers{{"Idempotency-Key", "key-" + order_id(i)}, {"Authorization", "Bearer " + token_}};
      Outcome out;
      while (out.attempts < 500) {
        ++out.attempts;
        auto r = http::http_request("127.0.0.1", port_, "POST", "/v1/orders", body, 10'000, headers);
        if (r && r->status < 500) {
          out.status = r->status;
          out.body = r->body;
          break;
        }
        ++failed_attempts_;
        if (r) out.status = r->status;
        // The user retries once the service answers again (bounded; the test fails after).
        bool up = process::wait_until(
            [&] {
              std::lock_guard lock(mu_);
              return stopping_ || process::port_accepts(port_);
            },
            30'000);
        std::lock_guard lock(mu_);
        if (!up || stopping_) break;
      }
      std::lock_guard lock(mu_);
      outcomes_[static_cast<size_t>(i)] = out;
      if (out.status >= 200 && out.status < 300) ++answered_;
    }
    done_ = true;
  }

  int port_;
  std::string token_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<Outcome> outcomes_;
  std::atomic<int> answered_{0};
  std::atomic<int> failed_attempts_{0};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// Walks an order's timeline through the lifecycle of docs/dispatch.md and returns what is
// illegal in it ("" when nothing is): each step from the right state, the offer answered
// by the rider it was made to, pickup and delivery by the one assigned rider, and the
// order's current state and rider matching its last step.
std::string timeline_problem(const v1::OrderView& v) {
  using S = v1::OrderState;
  S state = v1::ORDER_STATE_UNSPECIFIED;
  std::string offer, offered_to, rider;
  auto fail = [&](int step, const std::string& why) {
    return "step " + std::to_string(step) + " (" + v.timeline(step).event() + "): " + why;
  };
  for (int i = 0; i < v.timeline_size(); ++i) {
    const v1::OrderEvent& e = v.timeline(i);
    const std::string& ev = e.event();
    S to = state;
    if (ev == "created") {
      if (i != 0) return fail(i, "created twice");
      to = v1::ORDER_STATE_CREATED;
    } else if (ev == "offered") {
      if (state != v1::ORDER_STATE_CREATED) return fail(i, "offered while not waiting");
      offer = e.offer_id();
      offered_to = e.rider_id();
      to = v1::ORDER_STATE_OFFERED;
    } else if (ev == "offer_declined" || ev == "offer_timed_out" || ev == "assigned") {
      if (state != v1::ORDER_STATE_OFFERED) return fail(i, "answer without a pending offer");
      if (e.offer_id() != offer || e.rider_id() != offered_to)
        return fail(i, "resolves " + e.offer_id() + "/" + e.rider_id() + " but " + offer + "/" + offered_to +
                           " was pending");
      if (ev == "assigned") {
        if (!rider.empty()) return fail(i, "assigned a second time (first to " + rider + ")");
        rider = e.rider_id();
        to = v1::ORDER_STATE_ASSIGNED;
      } else {
        to = v1::ORDER_STATE_CREATED;
      }
      offer.clear();
    } else if (ev == "picked_up" || ev == "delivered") {
      S from = ev == "picked_up" ? v1::ORDER_STATE_ASSIGNED : v1::ORDER_STATE_PICKED_UP;
      if (state != from) return fail(i, "from state " + std::to_string(state));
      if (e.rider_id() != rider) return fail(i, "reported by " + e.rider_id() + ", assigned to " + rider);
      to = ev == "picked_up" ? v1::ORDER_STATE_PICKED_UP : v1::ORDER_STATE_DELIVERED;
    } else if (ev == "cancelled") {
      if (state != v1::ORDER_STATE_CREATED && state != v1::ORDER_STATE_OFFERED && state != v1::ORDER_STATE_ASSIGNED)
        return fail(i, "cancelled from state " + std::to_string(state));
      to = v1::ORDER_STATE_CANCELLED;
    } else {
      return fail(i, "unknown event");
    }
    if (e.state() != to) return fail(i, "records state " + std::to_string(e.state()) + ", expected " + std::to_string(to));
    state = to;
  }
  if (v.state() != state) return "state " + std::to_string(v.state()) + " but the timeline ends in " + std::to_string(state);
  if (v.rider_id() != rider) return "rider '" + v.rider_id() + "' but the timeline assigned '" + rider + "'";
  return "";
}

// Sums the samples of a metric in the Prometheus text whose labels contain `labels`.
double metric_sum(const std::string& text, const std::string& name, const std::string& labels) {
  double sum = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    bool named = line.rfind(name + "{", 0) == 0 || line.rfind(name + " ", 0) == 0;
    if (!named || line.find(labels) == std::string::npos) continue;
    sum += std::strtod(line.substr(line.rfind(' ') + 1).c_str(), nullptr);
  }
  return sum;
}

class DispatchFaultTest : public StackTest {
 protected:
  void start_dispatch_stack() {
    const char* bin = std::getenv("TW_BIN_DIR");
    ASSERT_NE(bin, nullptr) << "TW_BIN_DIR is set by ctest; run through ctest";
    dir_ = std::filesystem::temp_directory_path() / ("tw-it-" + std::to_string(::getpid()) + "-DispatchFault");
    std::filesystem::remove_all(dir_);
    sim::StackOptions so;
    so.run_dir = dir_.string();
    so.bin_dir = bin;
    // Short offers so that offers pending at the kill expire while the cloud is down and
    // are re-dispatched after it; commands re-sent soon after the restart.
    so.cloud_extra_config =
        "dispatch-policy = instant\n"
        "offer-timeout-s = 4\n"
        "batch-interval-s = 1\n"
        "command-resend-s = 2\n";
    auto s = sim::Stack::start(so);
    ASSERT_TRUE(s.ok()) << s.error().describe();
    stack_ = std::move(*s);
  }

  Expected<v1::DispatchStats> stats() {
    auto r = get("/v1/dispatch/stats");
    if (!r) return r.error();
    if (r->status != 200) return make_error(ErrorCode::kUnavailable, r->body);
    return from_json<v1::DispatchStats>(r->body);
  }

  // Orders each rider terminal says it carries (its last status in the cloud). An order on
  // two terminals at once is being worked by two riders, whatever the books say.
  std::string carried_twice() {
    auto r = get("/v1/devices?kind=rider&page_size=100");
    if (!r || r->status != 200) return "";
    auto list = from_json<v1::DeviceList>(r->body);
    std::map<std::string, std::string> carrier;
    std::string problems;
    for (const auto& d : list.devices()) {
      for (const auto& id : d.last_status().rider().carried_order_ids()) {
        auto [it, fresh] = carrier.emplace(id, d.device_id());
        if (!fresh) problems += id + " on " + it->second + " and " + d.device_id() + "; ";
      }
    }
    return problems;
  }

  SystemClock clock_;
};

TEST_F(DispatchFaultTest, KilledCloudLosesNoOrderAndAssignsNoneTwice) {
  start_dispatch_stack();
  for (int m = 1; m <= kMerchants; ++m) {
    v1::Merchant merchant;
    merchant.set_merchant_id("m-" + std::to_string(m));
    merchant.set_name("Kitchen " + std::to_string(m));
    v1::GeoPoint p = offset_m(600.0 * std::cos(m), 600.0 * std::sin(m));
    merchant.set_lat(p.lat());
    merchant.set_lon(p.lon());
    auto r = post("/v1/merchants", to_json(merchant));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_EQ(r->status, 201) << r->body;
  }

  sim::FleetOptions fo;
  fo.site = stack_->options().site;
  fo.broker_port = stack_->site_broker_port();
  fo.riders = kRiders;
  fo.event_interval_ms = 0;  // no made-up orders: every order a rider carries is dispatched
  fo.status_interval_ms = 1500;
  fo.resend_timeout_ms = 3000;
  fo.hal.pickup_service_s = 240 / kRideScale;
  fo.hal.dropoff_service_s = 240 / kRideScale;
  fo.hal.rider_speed_mps = 5 * kRideScale;
  ASSERT_TRUE(stack_->provision_fleet(fo).ok());
  fleet_ = std::make_unique<sim::Fleet>(fo, clock_, metrics_);
  ASSERT_TRUE(fleet_->start().ok());
  ASSERT_TRUE(process::wait_until([&] { return fleet_->online() == kRiders; }, 20'000)) << fleet_->summary();
  ASSERT_TRUE(process::wait_until(
      [&] {
        auto s = stats();
        return s.ok() && s->riders_available() >= kRiders * 3 / 4;
      },
      20'000));

  OrderClient client(stack_->http_port(), stack_->operator_token());
  client.start();
  std::atomic<bool> sampling{true};
  std::mutex problems_mu;
  std::string double_carried;
  // While everything runs, watch the terminals for an order carried by two riders.
  std::thread sampler([&] {
    while (sampling) {
      std::string p = carried_twice();
      std::lock_guard lock(problems_mu);
      if (!p.empty() && double_carried.size() < 2000) double_carried += p;
      process::wait_until([&] { return !sampling; }, 200);
    }
  });
  struct JoinSampler {
    std::atomic<bool>& flag;
    std::thread& t;
    ~JoinSampler() {
      flag = false;
      if (t.joinable()) t.join();
    }
  } join_sampler{sampling, sampler};

  // Kill while orders are in every state: waiting, offered, assigned, on a rider's bike.
  ASSERT_TRUE(process::wait_until(
      [&] {
        auto s = stats();
        return client.answered() >= kOrders / 2 && s.ok() && s->orders_picked_up() > 0 && s->orders_assigned() > 0;
      },
      30'000));
  auto before = stats();
  ASSERT_TRUE(before.ok());
  std::cerr << "killing tidewire-cloud at " << to_json(*before) << "\n";
  stack_->kill9_cloud();
  ASSERT_TRUE(process::wait_until([&] { return client.failed_attempts() > 0; }, 10'000))
      << "the client never met the dead cloud";
  auto restarted = stack_->start_cloud();
  ASSERT_TRUE(restarted.ok()) << restarted.error().describe();

  ASSERT_TRUE(process::wait_until([&] { return client.done(); }, 60'000)) << client.answered() << " answered";
  bool all_delivered = process::wait_until(
      [&] {
        auto s = stats();
        return s.ok() && s->orders_delivered() == static_cast<uint64_t>(kOrders);
      },
      60'000);
  sampling = false;
  auto after = stats();
  ASSERT_TRUE(after.ok()) << after.error().describe();
  std::cerr << "after the run: " << to_json(*after) << "\n";
  EXPECT_TRUE(all_delivered) << "not every order was delivered in time";

  // Every order the client was told about exists, exactly as many as it placed.
  auto outcomes = client.outcomes();
  int created = 0, duplicates = 0;
  for (int i = 0; i < kOrders; ++i) {
    const auto& o = outcomes[static_cast<size_t>(i)];
    ASSERT_TRUE(o.status == 201 || o.status == 200)
        << order_id(i) << ": HTTP " << o.status << " after " << o.attempts << " attempts: " << o.body;
    (o.status == 201 ? created : duplicates) += 1;
  }
  EXPECT_EQ(created + duplicates, kOrders);
  uint64_t stored = after->orders_created() + after->orders_offered() + after->orders_assigned() +
                    after->orders_picked_up() + after->orders_delivered() + after->orders_cancelled();
  EXPECT_EQ(stored, static_cast<uint64_t>(kOrders)) << "orders in the store besides the client's";

  // Every order's life is legal, and no offer went to two riders or ended two ways.
  std::map<std::string, std::string> rider_of_offer;
  std::map<std::string, std::set<std::string>> orders_of_rider;
  for (int i = 0; i < kOrders; ++i) {
    auto r = get("/v1/orders/" + order_id(i));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_EQ(r->status, 200) << order_id(i) << " is lost: " << r->body;
    auto v = from_json<v1::OrderView>(r->body);
    EXPECT_EQ(timeline_problem(v), "") << order_id(i) << ": " << r->body;
    for (const auto& e : v.timeline()) {
      if (e.offer_id().empty()) continue;
      auto [it, fresh] = rider_of_offer.emplace(e.offer_id(), e.rider_id());
      EXPECT_EQ(it->second, e.rider_id()) << e.offer_id() << " names two riders (offer id reused after restart?)";
    }
    if (!v.rider_id().empty()) orders_of_rider[v.rider_id()].insert(v.order_id());
  }
  size_t held = 0;
  for (const auto& [rider, orders] : orders_of_rider) held += orders.size();
  EXPECT_EQ(held, static_cast<size_t>(after->orders_assigned() + after->orders_picked_up() + after->orders_delivered()));

  // The riders agree: none holds an order or an offer once everything is delivered.
  for (int i = 0; i < kRiders && all_delivered; ++i) {
    auto r = get("/v1/riders/" + rider_id(i));
    ASSERT_TRUE(r.ok());
    if (r->status == 404) continue;  // never reported since the restart
    auto v = from_json<v1::RiderView>(r->body);
    EXPECT_EQ(v.order_ids_size(), 0) << r->body;
    EXPECT_EQ(v.pending_offer_id(), "") << r->body;
  }

  // No terminal worked an order that was not its own: those reports would be refused.
  auto m = get("/metrics");
  ASSERT_TRUE(m.ok());
  for (const char* op : {"op=\"pick_up\"", "op=\"deliver\""}) {
    EXPECT_EQ(metric_sum(m->body, "tw_dispatch_rejects_total", op), 0)
        << "rider reports refused after the restart (" << op << "): a terminal rode for an order not assigned to it";
  }
  EXPECT_EQ(metric_sum(m->body, "tw_dispatch_restore_repairs_total", ""), 0);
  std::lock_guard lock(problems_mu);
  EXPECT_EQ(double_carried, "") << "orders on two riders' terminals at once";
  std::cerr << created << " orders created, " << duplicates << " answered as duplicates of a retry, "
            << client.failed_attempts() << " failed attempts\n";
}

}  // namespace
}  // namespace tidewire::testing

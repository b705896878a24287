#include "tidewire/push_app/virtual_apps.hpp"

#include <algorithm>
#include <cstdio>
#include <future>
#include <sstream>

#include "tidewire/common/log.hpp"
#include "tidewire/transport/mosquitto_client.hpp"
#include "tidewire/transport/mosquitto_loop.hpp"

namespace tidewire::push_app {

std::vector<std::string> VirtualApps::numbered_ids(const std::string& prefix, int count) {
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(std::max(count, 0)));
  for (int i = 1; i <= count; ++i) {
    char id[96];
    std::snprintf(id, sizeof id, "%s-%05d", prefix.c_str(), i);
    ids.emplace_back(id);
  }
  return ids;
}

VirtualApps::VirtualApps(VirtualAppsOptions options, Clock& clock, MetricsRegistry& metrics)
    : options_(std::move(options)), clock_(clock), metrics_(metrics) {
  random_ = std::make_unique<SeededRandom>(options_.seed);
}

VirtualApps::~VirtualApps() {
  stop();
}

Status VirtualApps::start() {
  if (loop_) return make_error(ErrorCode::kInvalidArgument, "virtual apps: already started");
  if (options_.recipient_ids.empty()) return make_error(ErrorCode::kInvalidArgument, "virtual apps: no recipients");
  if (options_.connects_per_s <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "virtual apps: connects_per_s must be positive");
  }
  transport::MosquittoLoop::Options lo;
  lo.metrics = &metrics_;
  loop_ = std::make_unique<transport::MosquittoLoop>(lo);
  transport::MosquittoClientOptions co;
  co.metrics = &metrics_;
  co.log_edges = !options_.quiet;

  for (const auto& id : options_.recipient_ids) {
    auto client = std::make_unique<transport::MosquittoClient>(*loop_, *random_, co);
    PushAppOptions ao;
    ao.recipient_id = id;
    ao.auto_open_probability = options_.auto_open_probability;
    ao.quiet = options_.quiet;
    auto app = PushApp::create(ao, {*client, clock_, *random_, metrics_});
    if (!app) {
      apps_.clear();
      clients_.clear();
      loop_.reset();
      return app.error().with_context("virtual apps");
    }
    if (on_notification_) {
      PushApp* self = app->get();
      (*app)->set_on_notification([this, self](const v1::PushDelivery& d) { on_notification_(*self, d); });
    }
    clients_.push_back(std::move(client));
    apps_.push_back(std::move(*app));
  }
  if (auto st = loop_->start_thread(); !st) return st.error().with_context("virtual apps loop");

  // Connect in slices of connects_per_s / 20, one slice per 50 ms.
  size_t per_slice = std::max<size_t>(1, static_cast<size_t>(options_.connects_per_s) / 20);
  for (size_t first = 0; first < apps_.size(); first += per_slice) {
    int64_t delay = static_cast<int64_t>(first / per_slice) * 50;
    ramp_timers_.push_back(loop_->schedule(delay, [this, first, per_slice] {
      if (stopping_.load()) return;
      for (size_t i = first; i < std::min(apps_.size(), first + per_slice); ++i) {
        transport::ConnectOptions c;
        c.host = options_.broker_host;
        c.port = options_.broker_port;
        c.tls = options_.tls;
        c.client_id = options_.client_id_prefix + apps_[i]->recipient_id();
        c.keepalive_s = options_.keepalive_s;
        c.reconnect_min_ms = options_.reconnect_min_ms;
        c.reconnect_max_ms = options_.reconnect_max_ms;
        if (auto login = credentials::find_login(options_.logins, credentials::PrincipalKind::kRecipient,
                                                 apps_[i]->recipient_id())) {
          c.username = login->username;
          c.password = login->password;
        }
        if (auto st = apps_[i]->start(c); !st) TW_WARN("push-app", st.error().describe());
      }
    }));
  }
  TW_INFO("push-app", "starting " << apps_.size() << " virtual apps against " << options_.broker_host << ":"
                                  << options_.broker_port);
  return {};
}

void VirtualApps::stop() {
  if (!loop_) return;
  stopping_.store(true);
  for (auto id : ramp_timers_) loop_->cancel(id);
  ramp_timers_.clear();
  if (loop_->running() && !loop_->in_loop_thread()) {
    // Disconnects on the loop thread return at once (the loop finishes each teardown), so
    // thousands of apps stop in one pass instead of one socket close at a time. Being a
    // posted task, it also runs only after any ramp slice already running has finished.
    std::promise<void> disconnected;
    if (loop_->post([this, &disconnected] {
          for (auto& app : apps_) app->stop();
          disconnected.set_value();
        })) {
      disconnected.get_future().wait();
    }
  }
  for (auto& app : apps_) app->stop();  // idempotent; covers a loop that was not running
  // Apps before clients, clients before the loop (their documented lifetimes).
  apps_.clear();
  clients_.clear();
  loop_->stop();
  loop_.reset();
}

VirtualAppsTotals VirtualApps::totals() const {
  VirtualAppsTotals t;
  t.apps = apps_.size();
  for (const auto& app : apps_) {
    auto s = app->stats();
    t.online += app->online() ? 1 : 0;
    t.pending_receipts += app->pending_receipts();
    t.stats.received += s.received;
    t.stats.received_from_sync += s.received_from_sync;
    t.stats.duplicates += s.duplicates;
    t.stats.rejected += s.rejected;
    t.stats.receipts_sent += s.receipts_sent;
    t.stats.opened += s.opened;
    t.stats.receipts_dropped += s.receipts_dropped;
    t.stats.syncs_sent += s.syncs_sent;
    t.stats.connects += s.connects;
  }
  return t;
}

std::string VirtualApps::summary() const {
  auto t = totals();
  std::ostringstream os;
  os << "apps=" << t.apps << " online=" << t.online << " received=" << t.stats.received
     << " from_sync=" << t.stats.received_from_sync << " duplicates=" << t.stats.duplicates
     << " rejected=" << t.stats.rejected << " receipts=" << t.stats.receipts_sent << " opened=" << t.stats.opened
     << " pending_receipts=" << t.pending_receipts << " syncs=" << t.stats.syncs_sent;
  return os.str();
}

}  // namespace tidewire::push_app

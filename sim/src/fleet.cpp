#include "tidewire/sim/fleet.hpp"

#include <chrono>
#include <cstdio>
#include <future>
#include <sstream>

#include "sim/sim_hal.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/firmware/device_session.hpp"
#include "tidewire/firmware/memory_outbox.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/transport/mosquitto_client.hpp"

namespace tidewire::sim {

struct Fleet::Device {
  std::unique_ptr<firmware::MemoryOutbox> outbox;
  firmware::DeviceHalPtr hal;
  std::unique_ptr<transport::MosquittoClient> client;
  std::unique_ptr<firmware::DeviceSession> session;
  std::vector<uint64_t> scripted_seqs;
  bool was_online = false;
  int script_left = 0;
  int64_t script_gap_ms = 0;
  int64_t script_next_ms = 0;
  uint64_t script_count = 0;
};

namespace {

// PREFIX-KIND-NNNNN for the counted posters, riders and encoders.
std::vector<std::pair<v1::DeviceKind, std::string>> numbered_devices(const FleetOptions& o) {
  std::vector<std::pair<v1::DeviceKind, std::string>> out;
  for (auto [kind, count] : {std::pair{v1::DEVICE_KIND_POSTER, o.posters}, std::pair{v1::DEVICE_KIND_RIDER, o.riders},
                             std::pair{v1::DEVICE_KIND_ENCODER, o.encoders}}) {
    for (int i = 0; i < count; ++i) {
      char id[96];
      std::snprintf(id, sizeof id, "%s-%s-%05d", o.id_prefix.c_str(), topics::kind_name(kind), i + 1);
      out.emplace_back(kind, id);
    }
  }
  return out;
}

}  // namespace

std::vector<std::pair<v1::DeviceKind, std::string>> fleet_devices(const FleetOptions& options) {
  auto out = numbered_devices(options);
  for (const auto& r : options.rider_specs) out.emplace_back(v1::DEVICE_KIND_RIDER, r.id);
  return out;
}

Fleet::Fleet(FleetOptions options, Clock& clock, MetricsRegistry& metrics)
    : options_(std::move(options)), clock_(clock), metrics_(metrics) {
  random_ = std::make_shared<SeededRandom>(options_.seed);
  boot_random_ = make_os_seeded_random();
}

Fleet::~Fleet() { stop(); }

template <typename Fn>
auto Fleet::on_loop(Fn fn) {
  // Runs fn on the loop thread and waits for its result: devices are loop-thread state.
  std::packaged_task<decltype(fn())()> task(std::move(fn));
  auto result = task.get_future();
  auto shared = std::make_shared<decltype(task)>(std::move(task));
  if (!loop_ || !loop_->running() || !loop_->post([shared] { (*shared)(); })) {
    (*shared)();  // loop not running: nothing else touches the devices
  }
  return result.get();
}

Status Fleet::start() {
  // Both go into every device's topics (tw/v1/site/{site}/{kind}/{PREFIX-KIND-NNNNN}/...).
  if (!topics::valid_id(options_.site)) {
    return make_error(ErrorCode::kInvalidArgument, "--site '" + options_.site + "' must be " + topics::kIdRule);
  }
  if (!topics::valid_id(options_.id_prefix + "-encoder-00000")) {
    return make_error(ErrorCode::kInvalidArgument, "--id-prefix '" + options_.id_prefix +
                                                       "': device ids are PREFIX-KIND-NNNNN, which must be " +
                                                       topics::kIdRule + " (so the prefix is at most 50 characters)");
  }
  transport::MosquittoLoop::Options lo;
  lo.metrics = &metrics_;
  loop_ = std::make_unique<transport::MosquittoLoop>(lo);

  struct Want {
    v1::DeviceKind kind;
    int count;
  };
  firmware::SimHalOptions hal_options = options_.hal;
  hal_options.event_interval_ms = options_.event_interval_ms;
  transport::MosquittoClientOptions client_options;
  client_options.metrics = &metrics_;
  client_options.log_edges = false;

  auto add = [&](v1::DeviceKind kind, const std::string& id, const firmware::SimHalOptions& hal) -> Status {
    auto d = std::make_unique<Device>();
    firmware::OutboxLimits limits;
    limits.max_bytes = 4 * 1024 * 1024;
    d->outbox = std::make_unique<firmware::MemoryOutbox>(limits, clock_, metrics_);
    d->hal = firmware::make_sim_hal(kind, hal, clock_, *random_);
    d->client = std::make_unique<transport::MosquittoClient>(*loop_, *random_, client_options);

    firmware::SessionOptions so;
    so.address = {options_.site, kind, id};
    // Boot ids are what a real process start would give: fresh every run, whatever the
    // seed, or a re-run against the same cloud would be absorbed as duplicates.
    so.boot_id = firmware::make_boot_id(*boot_random_);
    so.connect.host = options_.broker_host;
    so.connect.port = options_.broker_port;
    so.connect.tls = options_.tls;
    so.connect.client_id = id;
    so.connect.max_inflight = options_.max_inflight;
    if (auto login = credentials::find_login(options_.logins, credentials::PrincipalKind::kDevice, id)) {
      so.connect.username = login->username;
      so.connect.password = login->password;
    }
    so.status_interval_ms = options_.status_interval_ms;
    so.resend_timeout_ms = options_.resend_timeout_ms;
    so.quiet = true;  // thousands of devices: per-device lines go to DEBUG
    firmware::SessionDeps deps{*d->client, *d->outbox, *d->hal, clock_, *random_, metrics_};
    auto session = firmware::DeviceSession::create(so, deps);
    if (!session) return session.error().with_context("device " + id);
    d->session = std::move(*session);
    devices_.push_back(std::move(d));
    return {};
  };
  for (const auto& [kind, id] : numbered_devices(options_)) {
    if (auto st = add(kind, id, hal_options); !st) return st;
  }
  for (const auto& r : options_.rider_specs) {
    firmware::SimHalOptions h = hal_options;
    h.rider_start_lat = r.lat;
    h.rider_start_lon = r.lon;
    h.shift_on_wall_ms = r.on_wall_ms;
    h.shift_off_wall_ms = r.off_wall_ms;
    if (auto st = add(v1::DEVICE_KIND_RIDER, r.id, h); !st) return st;
  }
  if (auto st = loop_->start_thread(); !st) return st.error().with_context("fleet loop");

  // Ramp the connections: start sessions in slices, one slice per 50 ms.
  size_t per_slice = std::max<size_t>(1, static_cast<size_t>(options_.connects_per_s) / 20);
  for (size_t first = 0; first < devices_.size(); first += per_slice) {
    int64_t delay = static_cast<int64_t>(first / per_slice) * 50;
    loop_->schedule(delay, [this, first, per_slice] {
      for (size_t i = first; i < std::min(devices_.size(), first + per_slice); ++i) {
        if (auto st = devices_[i]->session->start(); !st) {
          TW_WARN("fleet", devices_[i]->session->device_id() << ": " << st.error().describe());
        }
      }
    });
  }
  tick_timer_ = loop_->every(options_.tick_ms, [this] { tick_all(); });
  TW_INFO("fleet", "starting " << devices_.size() << " virtual devices against " << options_.broker_host << ":"
                               << options_.broker_port << " (site " << options_.site << ")");
  return {};
}

void Fleet::tick_all() {
  int64_t now = clock_.steady_ms();
  size_t online = 0;
  for (auto& d : devices_) {
    if (d->session->state() == firmware::DeviceSession::State::kIdle) continue;  // not started yet
    d->session->tick();
    while (d->script_left > 0 && now >= d->script_next_ms) {
      firmware::HalEvent ev;
      ev.type = "sim.scripted";
      ev.attributes["n"] = std::to_string(++d->script_count);
      uint64_t before = d->outbox->last_seq();
      if (!d->session->record_event(ev)) break;  // outbox refused: try again next tick
      if (d->outbox->last_seq() > before) d->scripted_seqs.push_back(d->outbox->last_seq());
      scripted_.fetch_add(1);
      --d->script_left;
      d->script_next_ms += d->script_gap_ms;
    }
    if (d->session->online()) ++online;
  }
  online_.store(online);
}

void Fleet::record_scripted_events(int per_device, int64_t spread_ms) {
  on_loop([this, per_device, spread_ms] {
    int64_t now = clock_.steady_ms();
    for (size_t i = 0; i < devices_.size(); ++i) {
      auto& d = devices_[i];
      d->script_left += per_device;
      d->script_gap_ms = per_device > 0 ? spread_ms / per_device : 0;
      // Stagger devices across one gap so the fleet does not fire in lockstep.
      d->script_next_ms =
          now + (d->script_gap_ms > 0 ? static_cast<int64_t>(i % 1000) * d->script_gap_ms / 1000 : 0);
    }
    return 0;
  });
}

bool Fleet::all_acked() {
  return on_loop([this] {
    for (auto& d : devices_)
      if (d->outbox->stats().rows > 0 || d->script_left > 0) return false;
    return true;
  });
}

std::vector<DeviceLedger> Fleet::ledgers() {
  return on_loop([this] {
    std::vector<DeviceLedger> out;
    for (auto& d : devices_) {
      auto stats = d->outbox->stats();
      out.push_back({d->session->device_id(), d->session->boot_id(), d->scripted_seqs, stats.dropped_total(),
                     stats.rows});
    }
    return out;
  });
}

size_t Fleet::size() const { return devices_.size(); }

std::string Fleet::summary() {
  return on_loop([this] {
    uint64_t rows = 0, dropped = 0;
    for (auto& d : devices_) {
      auto s = d->outbox->stats();
      rows += s.rows;
      dropped += s.dropped_total();
    }
    std::ostringstream os;
    os << "devices=" << devices_.size() << " online=" << online_.load() << " outbox_rows=" << rows
       << " outbox_dropped=" << dropped << " scripted=" << scripted_.load();
    return os.str();
  });
}

void Fleet::stop(int64_t timeout_ms) {
  if (!loop_) return;
  if (loop_->running()) {
    loop_->cancel(tick_timer_);
    on_loop([this] {
      for (auto& d : devices_) d->session->begin_shutdown();
      return 0;
    });
    // A loop timer checks, between the loop's I/O, whether every offline presence and
    // in-flight publish is acknowledged; this thread waits on that with a deadline.
    auto settled = std::make_shared<std::promise<void>>();
    auto fired = std::make_shared<bool>(false);
    auto timer = loop_->every(20, [this, settled, fired] {
      if (*fired) return;
      for (auto& d : devices_) {
        d->session->tick();
        if (!d->session->shutdown_settled()) return;
      }
      *fired = true;
      settled->set_value();
    });
    if (settled->get_future().wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) {
      TW_WARN("fleet", "stopping before every device's offline presence was acknowledged");
    }
    loop_->cancel(timer);
    on_loop([this] {
      for (auto& d : devices_) d->session->finish_shutdown();
      return 0;
    });
  }
  // Sessions before clients, clients before the loop (their documented lifetimes).
  for (auto& d : devices_) d->session.reset();
  for (auto& d : devices_) d->client.reset();
  loop_->stop();
  devices_.clear();
  loop_.reset();
}

}  // namespace tidewire::sim

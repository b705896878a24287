#pragma once
// VirtualApps: many recipients' apps in one process, each a PushApp (the same code a real
// app would run) on its own MQTT connection, all driven by ONE MosquittoLoop thread.
// `tidewire-sim app` runs one or many of them; a push bench can run 100k.
//
//   VirtualAppsOptions o;
//   o.recipient_ids = VirtualApps::numbered_ids("rider", 1000);   // rider-00001 ...
//   VirtualApps apps(o, clock, metrics);
//   apps.set_on_notification([](const std::string& recipient, const v1::PushDelivery& d) { ... });
//   apps.start();   ... apps.totals() ...   apps.stop();
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tidewire/common/clock.hpp"
#include "tidewire/common/expected.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/transport/transport.hpp"
#include "tidewire/credentials/login_file.hpp"
#include "tidewire/push_app/push_app.hpp"

namespace tidewire::transport {
class MosquittoLoop;
}

namespace tidewire::push_app {

struct VirtualAppsOptions {
  std::string broker_host = "127.0.0.1";
  int broker_port = 1883;
  transport::ConnectOptions::Tls tls;  // empty = plain TCP
  std::vector<std::string> recipient_ids;
  double auto_open_probability = 0;
  int connects_per_s = 2000;  // ramp, so thousands of apps do not SYN-flood the broker
  int keepalive_s = 30;
  int64_t reconnect_min_ms = 250;
  int64_t reconnect_max_ms = 30'000;
  uint64_t seed = 1;
  std::string client_id_prefix = "app-";  // MQTT client id = prefix + recipient id
  // Each app connects as recipient.<id> with the password found here (a login file:
  // docs/security.md); an app without one connects anonymously, which locked brokers refuse.
  credentials::LoginBook logins;
  bool quiet = true;                      // per-app lines at DEBUG
};

struct VirtualAppsTotals {
  size_t apps = 0;
  size_t online = 0;
  uint64_t pending_receipts = 0;
  PushAppStats stats;  // summed over the apps
};

class VirtualApps {
 public:
  using NotificationHandler = std::function<void(const PushApp&, const v1::PushDelivery&)>;

  // prefix-00001 ... prefix-NNNNN
  static std::vector<std::string> numbered_ids(const std::string& prefix, int count);

  VirtualApps(VirtualAppsOptions options, Clock& clock, MetricsRegistry& metrics);
  ~VirtualApps();  // stop()
  VirtualApps(const VirtualApps&) = delete;
  VirtualApps& operator=(const VirtualApps&) = delete;

  // Set before start(); runs on the loop thread for every app (must not block).
  void set_on_notification(NotificationHandler handler) { on_notification_ = std::move(handler); }
  // Creates every app (bad ids are refused here) and starts the loop and the connect ramp.
  Status start();
  // Disconnects every app and stops the loop. Idempotent.
  void stop();

  size_t size() const { return apps_.size(); }
  PushApp& app(size_t i) { return *apps_.at(i); }
  VirtualAppsTotals totals() const;
  // One line: apps, online, received, duplicates, rejected, receipts, pending, syncs.
  std::string summary() const;

 private:
  VirtualAppsOptions options_;
  Clock& clock_;
  MetricsRegistry& metrics_;
  NotificationHandler on_notification_;
  std::unique_ptr<Random> random_;
  std::unique_ptr<transport::MosquittoLoop> loop_;
  std::vector<transport::TransportPtr> clients_;
  std::vector<PushAppPtr> apps_;
  std::vector<uint64_t> ramp_timers_;
  std::atomic<bool> stopping_{false};
};

}  // namespace tidewire::push_app

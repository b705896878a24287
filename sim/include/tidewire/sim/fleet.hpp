#pragma once
// A virtual fleet: thousands of devices in one process, each the firmware's own
// DeviceSession (same protocol code as a board) with an in-memory outbox and a simulated
// HAL, all driven by ONE MosquittoLoop thread over one MQTT connection per device.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/sim_hal.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/common/expected.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/credentials/login_file.hpp"
#include "tidewire/transport/mosquitto_loop.hpp"
#include "tidewire/transport/transport.hpp"

namespace tidewire::sim {

// One rider of a replay (riders.csv): its own id, start point and shift window.
struct RiderSpec {
  std::string id;
  double lat = 0;
  double lon = 0;
  int64_t on_wall_ms = 0;   // on shift from here ...
  int64_t off_wall_ms = 0;  // ... to here, on the fleet's clock
};

struct FleetOptions {
  std::string site = "site-1";
  std::string broker_host = "127.0.0.1";
  int broker_port = 1883;
  transport::ConnectOptions::Tls tls;  // every device's TLS (CA to trust); empty = plain TCP
  int posters = 0;
  int riders = 0;
  int encoders = 0;
  std::string id_prefix = "sim";     // device ids: sim-poster-00001, ...
  int64_t status_interval_ms = 5000;
  int64_t event_interval_ms = 60'000;  // mean gap of the HALs' spontaneous events; 0 = none
  int64_t resend_timeout_ms = 10'000;
  int max_inflight = 100;             // per device connection
  int connects_per_s = 2000;          // ramp, so a big fleet does not SYN-flood its broker
  int64_t tick_ms = 100;
  uint64_t seed = 1;
  // Behaviour of the simulated HALs (event_interval_ms above wins over hal's own).
  firmware::SimHalOptions hal;
  // Replays: riders with given ids, start points and shifts, in addition to `riders`.
  std::vector<RiderSpec> rider_specs;
  // Each device connects as device.<id> with the password found here (Stack::provision_fleet,
  // or a login file: `tidewire-sim run --credentials`); without one it connects anonymously,
  // which locked brokers refuse.
  credentials::LoginBook logins;
};

// The devices a fleet with these options runs: (kind, id), in start order.
std::vector<std::pair<v1::DeviceKind, std::string>> fleet_devices(const FleetOptions& options);

// What one device has put into its outbox through record_scripted_events(), for --verify.
struct DeviceLedger {
  std::string device_id;
  std::string boot_id;
  std::vector<uint64_t> scripted_seqs;
  uint64_t dropped = 0;  // outbox drops (bounds), if any
  uint64_t unacked = 0;  // outbox rows still waiting for the edge
};

class Fleet {
 public:
  Fleet(FleetOptions options, Clock& clock, MetricsRegistry& metrics);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  Status start();
  // Orderly stop: offline presence, wait (bounded) for acks, disconnect, stop the loop.
  void stop(int64_t timeout_ms = 5000);

  size_t size() const;
  size_t online() const { return online_.load(); }
  // Appends `per_device` scripted events to every device, spread over `spread_ms`
  // (0 = as fast as the outboxes take them). Runs on the loop; returns at once.
  void record_scripted_events(int per_device, int64_t spread_ms);
  // Scripted events recorded so far (all devices).
  uint64_t scripted_recorded() const { return scripted_.load(); }
  // True when every device's outbox is empty (the edge acked everything).
  bool all_acked();
  std::vector<DeviceLedger> ledgers();
  // One line: online, outbox rows, drops, publishes.
  std::string summary();

 private:
  struct Device;
  void tick_all();
  template <typename Fn>
  auto on_loop(Fn fn);

  FleetOptions options_;
  Clock& clock_;
  MetricsRegistry& metrics_;
  RandomPtr random_;       // behaviour: same seed, same fleet
  RandomPtr boot_random_;  // boot ids: fresh per run
  std::unique_ptr<transport::MosquittoLoop> loop_;
  std::vector<std::unique_ptr<Device>> devices_;  // touched on the loop thread only after start()
  std::atomic<size_t> online_{0};
  std::atomic<uint64_t> scripted_{0};
  transport::MosquittoLoop::TimerId tick_timer_ = 0;
};

}  // namespace tidewire::sim

#pragma once
// The simulated devices behind make_sim_hal (sim_hal.hpp documents their behaviour).
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "tidewire/firmware/sim_hal.hpp"

namespace tidewire::firmware::sim {

// Command arguments, parsed strictly: a bad value is a FAILED answer, not a guess.
std::optional<std::string> arg(const v1::Command& command, const std::string& key);
std::optional<bool> bool_arg(const v1::Command& command, const std::string& key);
std::optional<int64_t> int_arg(const v1::Command& command, const std::string& key, int64_t lo, int64_t hi);

class SimDevice : public DeviceHal {
 protected:
  SimDevice(const SimHalOptions& options, Clock& clock, Random& random);
  // Seconds since the previous call (0 on the first).
  double advance();
  // How many spontaneous events fell due since the last call (Poisson arrivals).
  int due_events();
  double uniform(double lo, double hi) { return lo + (hi - lo) * random_.unit(); }
  // Approximately standard normal (Irwin-Hall), cheap and deterministic.
  double normal();
  bool chance(double p) { return random_.unit() < p; }
  int64_t now_ms() const { return clock_.steady_ms(); }

  SimHalOptions options_;
  Clock& clock_;
  Random& random_;

 private:
  int64_t last_ms_ = -1;
  int64_t next_event_ms_ = -1;
};

class SimPoster final : public SimDevice {
 public:
  SimPoster(const SimHalOptions& options, Clock& clock, Random& random);
  // Interface: DeviceHal
  v1::DeviceKind kind() const override { return v1::DEVICE_KIND_POSTER; }
  void poll(std::vector<HalEvent>& events) override;
  v1::Status status() const override;
  bool significant_change(const v1::Status& last_sent, const v1::Status& now) const override;
  CommandReply execute(const v1::Command& command, std::vector<HalEvent>& events) override;

 private:
  void show(const std::string& creative, const char* why, std::vector<HalEvent>& events);

  std::vector<std::string> playlist_;
  size_t playing_ = 0;
  std::string creative_;
  uint64_t playlist_version_ = 1;
  bool display_on_ = true;
  uint32_t brightness_pct_ = 80;
  double temperature_c_ = 0;
  uint64_t free_storage_bytes_ = 0;
};

class SimRider final : public SimDevice {
 public:
  SimRider(const SimHalOptions& options, Clock& clock, Random& random);
  // Interface: DeviceHal
  v1::DeviceKind kind() const override { return v1::DEVICE_KIND_RIDER; }
  void poll(std::vector<HalEvent>& events) override;
  v1::Status status() const override;
  bool significant_change(const v1::Status& last_sent, const v1::Status& now) const override;
  CommandReply execute(const v1::Command& command, std::vector<HalEvent>& events) override;

 private:
  // One place a dispatched trip goes through.
  struct Stop {
    std::string order_id;
    bool pickup = true;
    double lat = 0, lon = 0;
    int64_t ready_wall_ms = 0;  // pickups: not before this (0 = no wait)
  };

  void pick_destination();
  // Moves toward (lat, lon) for up to `seconds`; true on arrival (seconds keeps the rest).
  bool drive(double& seconds, double lat, double lon);
  void ride(double seconds, std::vector<HalEvent>& events);
  // Waits at the first stop for up to `seconds`; true when its report is done.
  bool serve(double& seconds, int64_t wall_ms, std::vector<HalEvent>& events);
  void roam(double& seconds);
  void update_shift(std::vector<HalEvent>& events);
  bool in_shift_window() const;
  void shift_change(bool on, const char* reason, std::vector<HalEvent>& events);
  CommandReply offer(const v1::Command& command);
  CommandReply cancel(const v1::Command& command);
  size_t carried() const { return assigned_.size() + made_up_.size(); }
  bool available() const { return on_shift_ && wants_orders_ && carried() == 0; }

  double lat_ = 0, lon_ = 0;
  double dest_lat_ = 0, dest_lon_ = 0;
  double cruise_mps_ = 0;
  double speed_mps_ = 0;
  double heading_deg_ = 0;
  double dwell_s_ = 0;  // roaming: stopped at a made-up pick-up or drop-off
  double battery_pct_ = 100;
  bool charging_ = false;
  bool on_shift_ = true;
  bool wants_orders_ = true;
  std::deque<std::string> made_up_;    // roaming orders, not from dispatch
  std::vector<std::string> assigned_;  // accepted from offers, not yet delivered
  std::deque<Stop> stops_;
  double service_left_s_ = -1;  // < 0: not yet at stops_.front()
};

class SimEncoder final : public SimDevice {
 public:
  SimEncoder(const SimHalOptions& options, Clock& clock, Random& random);
  // Interface: DeviceHal
  v1::DeviceKind kind() const override { return v1::DEVICE_KIND_ENCODER; }
  void poll(std::vector<HalEvent>& events) override;
  v1::Status status() const override;
  bool significant_change(const v1::Status& last_sent, const v1::Status& now) const override;
  CommandReply execute(const v1::Command& command, std::vector<HalEvent>& events) override;

 private:
  v1::EncoderState state_ = v1::ENCODER_STATE_IDLE;
  double transition_s_ = 0;  // time left in STARTING / STOPPING
  uint32_t target_kbps_ = 4500;
  double bitrate_kbps_ = 0;
  double fps_ = 0;
  uint64_t dropped_frames_ = 0;
  double rtt_ms_ = 40;
  double buffer_ms_ = 1200;
  double live_s_ = 0;
};

}  // namespace tidewire::firmware::sim

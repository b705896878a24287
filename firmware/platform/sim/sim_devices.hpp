#pragma once
// The simulated hardware behind make_sim_hal (sim_hal.hpp documents its behaviour); the
// roles (src/roles/) decide what is reported and how commands are answered.
#include <deque>
#include <string>
#include <vector>

#include "sim/sim_hal.hpp"
#include "tidewire/firmware/encoder_role.hpp"
#include "tidewire/firmware/poster_role.hpp"
#include "tidewire/firmware/rider_role.hpp"

namespace tidewire::firmware::sim {

// Time and chance, shared by the simulated devices.
class SimDevice {
 protected:
  SimDevice(const SimHalOptions& options, Clock& clock, Random& random);
  // Seconds since the previous call (0 on the first).
  double advance();
  // How many spontaneous happenings fell due since the last call (Poisson arrivals).
  int due_events();
  double uniform(double lo, double hi) { return lo + (hi - lo) * random_.unit(); }
  // Approximately standard normal (Irwin-Hall), cheap and deterministic.
  double normal();
  bool chance(double p) { return random_.unit() < p; }

  SimHalOptions options_;
  Clock& clock_;
  Random& random_;

 private:
  int64_t last_ms_ = -1;
  int64_t next_event_ms_ = -1;
};

class SimPoster final : public SimDevice, public PosterHardware, public PosterPlayer {
 public:
  SimPoster(const SimHalOptions& options, Clock& clock, Random& random);
  // Interface: PosterHardware
  void poll(std::vector<Showing>& rotated) override;
  PanelReading read() const override;
  Status set_brightness(uint32_t pct) override;
  PosterPlayer* player() override { return this; }
  // Interface: PosterPlayer
  Showing showing() const override { return {playlist_[playing_], playlist_version_}; }
  bool display_on() const override { return display_on_; }
  void set_display(bool on) override { display_on_ = on; }
  Showing show(const std::string& creative_id) override;

 private:
  std::vector<std::string> playlist_;
  size_t playing_ = 0;
  uint64_t playlist_version_ = 1;
  bool display_on_ = true;
  uint32_t brightness_pct_ = 80;
  double temperature_c_ = 0;
  uint64_t free_storage_bytes_ = 0;
};

class SimRider final : public SimDevice, public RiderHardware {
 public:
  SimRider(const SimHalOptions& options, Clock& clock, Random& random);
  // Interface: RiderHardware
  void poll(RiderTaps& taps) override;
  PositionFix fix() const override;
  std::optional<uint32_t> battery_pct() const override;
  bool on_shift() const override { return on_shift_; }
  OfferDecision present(const v1::Offer& offer, const std::vector<std::string>& carried) override;
  void accepted(const v1::Offer& offer, const std::vector<const v1::OfferLeg*>& fresh) override;
  void cancelled(const std::string& order_id) override;

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
  void ride(double seconds, RiderTaps& taps);
  // Waits at the first stop for up to `seconds`; true when it is served.
  bool serve(double& seconds, int64_t wall_ms, RiderTaps& taps);
  void roam(double& seconds);
  void update_shift(RiderTaps& taps);
  bool in_shift_window() const;
  // Made-up orders picked up and delivered while roaming.
  void made_up_orders(RiderTaps& taps);

  double lat_ = 0, lon_ = 0;
  double dest_lat_ = 0, dest_lon_ = 0;
  double cruise_mps_ = 0;
  double speed_mps_ = 0;
  double heading_deg_ = 0;
  double dwell_s_ = 0;  // roaming: stopped at a made-up pick-up or drop-off
  double battery_pct_ = 100;
  bool charging_ = false;
  bool on_shift_ = true;
  std::deque<std::string> made_up_;  // roaming orders, not from dispatch, carried now
  std::deque<Stop> stops_;
  double service_left_s_ = -1;  // < 0: not yet at stops_.front()
};

class SimEncoder final : public SimDevice, public EncoderHardware, public StreamControl {
 public:
  SimEncoder(const SimHalOptions& options, Clock& clock, Random& random);
  // Interface: EncoderHardware
  void poll(std::vector<StreamReading>& readings) override;
  StreamReading reading() const override;
  StreamControl* control() override { return this; }
  // Interface: StreamControl
  uint32_t target_kbps() const override { return target_kbps_; }
  void set_target_kbps(uint32_t kbps) override { target_kbps_ = kbps; }
  void start() override;
  void stop() override;

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

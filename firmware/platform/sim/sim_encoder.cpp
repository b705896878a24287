#include <algorithm>
#include <cmath>

#include "sim/sim_devices.hpp"

namespace tidewire::firmware::sim {
namespace {
constexpr double kStartingS = 2.0;
constexpr double kStoppingS = 1.0;
constexpr double kNominalFps = 30.0;
}  // namespace

SimEncoder::SimEncoder(const SimHalOptions& options, Clock& clock, Random& random) : SimDevice(options, clock, random) {
  if (options_.encoder_live_at_start) start();
}

void SimEncoder::start() {
  state_ = v1::ENCODER_STATE_STARTING;
  transition_s_ = kStartingS;
}

void SimEncoder::stop() {
  state_ = v1::ENCODER_STATE_STOPPING;
  transition_s_ = kStoppingS;
}

void SimEncoder::poll(std::vector<StreamReading>& readings) {
  double dt = advance();
  if (state_ == v1::ENCODER_STATE_STARTING || state_ == v1::ENCODER_STATE_STOPPING) {
    transition_s_ -= dt;
    if (transition_s_ <= 0) {
      bool starting = state_ == v1::ENCODER_STATE_STARTING;
      state_ = starting ? v1::ENCODER_STATE_LIVE : v1::ENCODER_STATE_IDLE;
      live_s_ = 0;
      bitrate_kbps_ = starting ? target_kbps_ : 0;
      fps_ = starting ? kNominalFps : 0;
    }
  }
  if (state_ != v1::ENCODER_STATE_LIVE) {
    (void)due_events();  // keep the arrival process moving while idle
    readings.push_back(reading());
    return;
  }
  live_s_ += dt;
  // Uplink weather: bitrate and RTT wander, the send buffer follows the RTT.
  double k = std::min(1.0, 0.2 * dt);
  bitrate_kbps_ += (target_kbps_ * (1.0 + 0.05 * normal()) - bitrate_kbps_) * k;
  bitrate_kbps_ = std::clamp(bitrate_kbps_, 0.3 * target_kbps_, 1.2 * target_kbps_);
  rtt_ms_ = std::clamp(rtt_ms_ + 3.0 * std::sqrt(dt) * normal(), 15.0, 400.0);
  buffer_ms_ = std::clamp(800.0 + 10.0 * rtt_ms_ + 50.0 * normal(), 200.0, 5000.0);
  fps_ = std::clamp(kNominalFps - std::fabs(0.3 * normal()), 0.0, kNominalFps);
  // Bursts of dropped frames; the frame rate dips with the last one.
  for (int n = due_events(); n > 0; --n) {
    auto burst = random_.uniform(5, 240);
    dropped_frames_ += burst;
    fps_ = std::max(0.0, kNominalFps - static_cast<double>(burst) / 10.0);
  }
  readings.push_back(reading());
}

StreamReading SimEncoder::reading() const {
  StreamReading r;
  r.state = state_;
  r.bitrate_kbps = bitrate_kbps_;
  r.fps = fps_;
  r.dropped_frames = dropped_frames_;
  r.rtt_ms = rtt_ms_;
  r.buffer_ms = buffer_ms_;
  r.uptime_s = live_s_;
  return r;
}

}  // namespace tidewire::firmware::sim

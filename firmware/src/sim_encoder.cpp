#include <algorithm>
#include <cmath>

#include "sim_devices.hpp"

namespace tidewire::firmware::sim {
namespace {
constexpr double kStartingS = 2.0;
constexpr double kStoppingS = 1.0;
constexpr double kNominalFps = 30.0;
constexpr uint64_t kSignificantDrops = 100;
}  // namespace

SimEncoder::SimEncoder(const SimHalOptions& options, Clock& clock, Random& random) : SimDevice(options, clock, random) {
  if (options_.encoder_live_at_start) {
    state_ = v1::ENCODER_STATE_STARTING;
    transition_s_ = kStartingS;
  }
}

void SimEncoder::poll(std::vector<HalEvent>& events) {
  double dt = advance();
  if (state_ == v1::ENCODER_STATE_STARTING || state_ == v1::ENCODER_STATE_STOPPING) {
    transition_s_ -= dt;
    if (transition_s_ <= 0) {
      bool starting = state_ == v1::ENCODER_STATE_STARTING;
      state_ = starting ? v1::ENCODER_STATE_LIVE : v1::ENCODER_STATE_IDLE;
      live_s_ = 0;
      bitrate_kbps_ = starting ? target_kbps_ : 0;
      fps_ = starting ? kNominalFps : 0;
      events.push_back({starting ? "stream.started" : "stream.stopped",
                        v1::PRIORITY_HIGH,
                        {{"bitrate_kbps", std::to_string(target_kbps_)}}});
    }
  }
  if (state_ != v1::ENCODER_STATE_LIVE) {
    (void)due_events();  // keep the arrival process moving while idle
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
  for (int n = due_events(); n > 0; --n) {
    auto burst = random_.uniform(5, 240);
    dropped_frames_ += burst;
    fps_ = std::max(0.0, kNominalFps - static_cast<double>(burst) / 10.0);
    events.push_back({"frames.dropped",
                      burst >= kSignificantDrops ? v1::PRIORITY_NORMAL : v1::PRIORITY_LOW,
                      {{"count", std::to_string(burst)}, {"total", std::to_string(dropped_frames_)}}});
  }
}

v1::Status SimEncoder::status() const {
  v1::Status s;
  auto* e = s.mutable_encoder();
  e->set_state(state_);
  bool live = state_ == v1::ENCODER_STATE_LIVE;
  e->set_bitrate_kbps(live ? static_cast<uint32_t>(std::lround(bitrate_kbps_)) : 0);
  e->set_fps(live ? static_cast<float>(fps_) : 0.0f);
  e->set_dropped_frames(dropped_frames_);
  e->set_rtt_ms(static_cast<uint32_t>(std::lround(rtt_ms_)));
  e->set_buffer_ms(live ? static_cast<uint32_t>(std::lround(buffer_ms_)) : 0);
  e->set_uptime_s(live ? static_cast<uint64_t>(live_s_) : 0);
  return s;
}

bool SimEncoder::significant_change(const v1::Status& last_sent, const v1::Status& now) const {
  const auto& a = last_sent.encoder();
  const auto& b = now.encoder();
  return a.state() != b.state() || b.dropped_frames() >= a.dropped_frames() + kSignificantDrops ||
         (a.fps() >= 25.0f && b.fps() < 20.0f);
}

CommandReply SimEncoder::execute(const v1::Command& command, std::vector<HalEvent>& events) {
  (void)events;
  const std::string& name = command.name();
  if (name == "start_stream") {
    if (command.args().count("bitrate_kbps")) {
      auto kbps = int_arg(command, "bitrate_kbps", 100, 50'000);
      if (!kbps) return CommandReply::failed("bitrate_kbps must be 100..50000");
      target_kbps_ = static_cast<uint32_t>(*kbps);
    }
    if (state_ == v1::ENCODER_STATE_LIVE || state_ == v1::ENCODER_STATE_STARTING)
      return CommandReply::ok("already streaming");
    state_ = v1::ENCODER_STATE_STARTING;
    transition_s_ = kStartingS;
    return CommandReply::ok("starting at " + std::to_string(target_kbps_) + " kbps");
  }
  if (name == "stop_stream") {
    if (state_ == v1::ENCODER_STATE_IDLE || state_ == v1::ENCODER_STATE_STOPPING)
      return CommandReply::ok("not streaming");
    state_ = v1::ENCODER_STATE_STOPPING;
    transition_s_ = kStoppingS;
    return CommandReply::ok("stopping");
  }
  if (name == "set_bitrate") {
    auto kbps = int_arg(command, "kbps", 100, 50'000);
    if (!kbps) return CommandReply::failed("set_bitrate needs kbps=100..50000");
    target_kbps_ = static_cast<uint32_t>(*kbps);
    return CommandReply::ok("target " + std::to_string(target_kbps_) + " kbps");
  }
  return CommandReply::unsupported(name);
}

}  // namespace tidewire::firmware::sim

#include "tidewire/firmware/encoder_role.hpp"

#include <cmath>

#include "command_args.hpp"

namespace tidewire::firmware {
namespace {

// Dropped frames since the last report worth a frames.dropped event (a second of video)...
constexpr uint64_t kDropReport = 30;
// ...and worth NORMAL priority and an early status (about three seconds).
constexpr uint64_t kDropSignificant = 100;
constexpr int64_t kMinKbps = 100;
constexpr int64_t kMaxKbps = 50'000;

class EncoderRole final : public DeviceHal {
 public:
  explicit EncoderRole(EncoderHardwarePtr hardware) : hw_(std::move(hardware)), control_(hw_->control()) {
    state_ = hw_->reading().state;
  }

  // Interface: DeviceHal
  v1::DeviceKind kind() const override { return v1::DEVICE_KIND_ENCODER; }
  void poll(std::vector<HalEvent>& events) override;
  v1::Status status() const override;
  bool significant_change(const v1::Status& last_sent, const v1::Status& now) const override;
  CommandReply execute(const v1::Command& command, std::vector<HalEvent>& events) override;

 private:
  void take(const StreamReading& r, std::vector<HalEvent>& events);
  CommandReply start_stream(const v1::Command& command);
  CommandReply stop_stream();
  CommandReply set_bitrate(const v1::Command& command);

  EncoderHardwarePtr hw_;
  StreamControl* control_;  // null: the stream is only watched
  std::vector<StreamReading> readings_;
  v1::EncoderState state_ = v1::ENCODER_STATE_IDLE;  // as of the last reading taken
  uint64_t drops_reported_ = 0;
};

void EncoderRole::take(const StreamReading& r, std::vector<HalEvent>& events) {
  if (r.state != state_) {
    if (r.state == v1::ENCODER_STATE_LIVE) {
      HalEvent e{"stream.started", v1::PRIORITY_HIGH, {}};
      if (r.bitrate_kbps) e.attributes["bitrate_kbps"] = std::to_string(std::lround(*r.bitrate_kbps));
      events.push_back(std::move(e));
      drops_reported_ = r.dropped_frames;
    } else if (r.state == v1::ENCODER_STATE_IDLE && state_ != v1::ENCODER_STATE_FAILED) {
      HalEvent e{"stream.stopped", v1::PRIORITY_HIGH, {}};
      if (r.frames) e.attributes["frames"] = std::to_string(*r.frames);
      events.push_back(std::move(e));
    } else if (r.state == v1::ENCODER_STATE_FAILED) {
      events.push_back({"stream.failed", v1::PRIORITY_HIGH, {{"silent_ms", std::to_string(r.silent_ms)}}});
    }
    state_ = r.state;
  }
  if (r.dropped_frames < drops_reported_) drops_reported_ = r.dropped_frames;  // a new encoder run
  if (state_ == v1::ENCODER_STATE_LIVE && r.dropped_frames >= drops_reported_ + kDropReport) {
    uint64_t count = r.dropped_frames - drops_reported_;
    events.push_back({"frames.dropped",
                      count >= kDropSignificant ? v1::PRIORITY_NORMAL : v1::PRIORITY_LOW,
                      {{"count", std::to_string(count)}, {"total", std::to_string(r.dropped_frames)}}});
    drops_reported_ = r.dropped_frames;
  }
}

void EncoderRole::poll(std::vector<HalEvent>& events) {
  readings_.clear();
  hw_->poll(readings_);
  for (const auto& r : readings_) take(r, events);
}

v1::Status EncoderRole::status() const {
  StreamReading r = hw_->reading();
  v1::Status s;
  auto* e = s.mutable_encoder();
  e->set_state(r.state);
  bool live = r.state == v1::ENCODER_STATE_LIVE;
  e->set_bitrate_kbps(live && r.bitrate_kbps ? static_cast<uint32_t>(std::lround(*r.bitrate_kbps)) : 0);
  e->set_fps(live ? static_cast<float>(r.fps) : 0.0f);
  e->set_dropped_frames(r.dropped_frames);
  e->set_rtt_ms(r.rtt_ms ? static_cast<uint32_t>(std::lround(*r.rtt_ms)) : 0);  // 0: unknown
  e->set_buffer_ms(live ? static_cast<uint32_t>(std::lround(r.buffer_ms)) : 0);
  e->set_uptime_s(live && r.uptime_s > 0 ? static_cast<uint64_t>(r.uptime_s) : 0);
  return s;
}

bool EncoderRole::significant_change(const v1::Status& last_sent, const v1::Status& now) const {
  const auto& a = last_sent.encoder();
  const auto& b = now.encoder();
  return a.state() != b.state() || b.dropped_frames() >= a.dropped_frames() + kDropSignificant ||
         (a.fps() >= 25.0f && b.fps() < 20.0f);
}

CommandReply EncoderRole::start_stream(const v1::Command& command) {
  if (command.args().count("bitrate_kbps")) {
    auto kbps = roles::int_arg(command, "bitrate_kbps", kMinKbps, kMaxKbps);
    if (!kbps) return CommandReply::failed("bitrate_kbps must be 100..50000");
    control_->set_target_kbps(static_cast<uint32_t>(*kbps));
  }
  auto state = hw_->reading().state;
  if (state == v1::ENCODER_STATE_LIVE || state == v1::ENCODER_STATE_STARTING)
    return CommandReply::ok("already streaming");
  control_->start();
  return CommandReply::ok("starting at " + std::to_string(control_->target_kbps()) + " kbps");
}

CommandReply EncoderRole::stop_stream() {
  auto state = hw_->reading().state;
  if (state == v1::ENCODER_STATE_IDLE || state == v1::ENCODER_STATE_STOPPING) return CommandReply::ok("not streaming");
  control_->stop();
  return CommandReply::ok("stopping");
}

CommandReply EncoderRole::set_bitrate(const v1::Command& command) {
  auto kbps = roles::int_arg(command, "kbps", kMinKbps, kMaxKbps);
  if (!kbps) return CommandReply::failed("set_bitrate needs kbps=100..50000");
  control_->set_target_kbps(static_cast<uint32_t>(*kbps));
  return CommandReply::ok("target " + std::to_string(control_->target_kbps()) + " kbps");
}

CommandReply EncoderRole::execute(const v1::Command& command, std::vector<HalEvent>& events) {
  (void)events;
  const std::string& name = command.name();
  bool known = name == "start_stream" || name == "stop_stream" || name == "set_bitrate";
  if (!known) return CommandReply::unsupported(name);
  if (!control_)
    return CommandReply::make(v1::COMMAND_OUTCOME_UNSUPPORTED,
                              name +
                                  ": this encoder is only watched (ffmpeg's progress); it cannot be started, "
                                  "stopped or retuned from here yet");
  if (name == "start_stream") return start_stream(command);
  if (name == "stop_stream") return stop_stream();
  return set_bitrate(command);
}

}  // namespace

DeviceHalPtr make_encoder_role(EncoderHardwarePtr hardware) {
  return std::make_unique<EncoderRole>(std::move(hardware));
}

}  // namespace tidewire::firmware

#include <cmath>

#include "board/board_devices.hpp"
#include "tidewire/common/log.hpp"

namespace tidewire::firmware::board {
namespace {
constexpr const char* kLog = "hal";
// A burst of this many dropped frames since the last report is worth an event.
constexpr uint64_t kDropBurst = 30;
}  // namespace

BoardEncoder::BoardEncoder(const BoardHalOptions& options, Clock& clock, Counter& bad_lines)
    : options_(options), clock_(clock), bad_lines_(bad_lines), progress_(options.progress_path) {}

void BoardEncoder::on_block(const ffmpeg::Progress& block, std::vector<HalEvent>& events) {
  last_block_ms_ = clock_.steady_ms();
  if (block.end) {
    if (state_ == v1::ENCODER_STATE_LIVE) {
      events.push_back({"stream.stopped", v1::PRIORITY_HIGH, {{"frames", std::to_string(block.frame)}}});
    }
    state_ = v1::ENCODER_STATE_IDLE;
    last_ = block;
    return;
  }
  if (state_ != v1::ENCODER_STATE_LIVE) {
    state_ = v1::ENCODER_STATE_LIVE;
    drops_reported_ = block.drop_frames;
    events.push_back({"stream.started", v1::PRIORITY_HIGH, {}});
  }
  if (block.drop_frames < drops_reported_) drops_reported_ = block.drop_frames;  // a new ffmpeg run
  if (block.drop_frames >= drops_reported_ + kDropBurst) {
    events.push_back({"frames.dropped",
                      v1::PRIORITY_NORMAL,
                      {{"count", std::to_string(block.drop_frames - drops_reported_)},
                       {"total", std::to_string(block.drop_frames)}}});
    drops_reported_ = block.drop_frames;
  }
  last_ = block;
}

void BoardEncoder::poll(std::vector<HalEvent>& events) {
  int64_t now = clock_.steady_ms();
  uint64_t bad = 0;
  std::string last_error;
  auto st = progress_.read(
      [&](std::string_view line) {
        auto block = parser_.feed(line);
        if (!block) {
          ++bad;
          last_error = block.error().message;
        } else if (*block) {
          on_block(**block, events);
        }
      },
      now);
  if (!st) TW_WARN(kLog, "encoder: " << st.error().message);
  if (bad > 0) {
    bad_lines_.inc(bad);
    if (now >= next_warn_ms_) {
      next_warn_ms_ = now + 60'000;
      TW_WARN(kLog, "encoder: dropped " << bad << " bad progress lines from " << progress_.path()
                                        << " (last: " << last_error << ")");
    }
  }
  // ffmpeg writes a block about twice a second; silence without progress=end means it
  // died or hung.
  if (state_ == v1::ENCODER_STATE_LIVE && now - last_block_ms_ >= options_.stream_stale_ms) {
    state_ = v1::ENCODER_STATE_FAILED;
    events.push_back({"stream.failed", v1::PRIORITY_HIGH, {{"silent_ms", std::to_string(now - last_block_ms_)}}});
  }
}

v1::Status BoardEncoder::status() const {
  v1::Status s;
  auto* e = s.mutable_encoder();
  e->set_state(state_);
  bool live = state_ == v1::ENCODER_STATE_LIVE;
  e->set_bitrate_kbps(live && last_.bitrate_kbps ? static_cast<uint32_t>(std::lround(*last_.bitrate_kbps)) : 0);
  e->set_fps(live ? static_cast<float>(last_.fps) : 0.0f);
  e->set_dropped_frames(last_.drop_frames);
  // RTT and send buffer are not in ffmpeg's progress output; 0 = unknown.
  e->set_uptime_s(live && last_.out_time_us > 0 ? static_cast<uint64_t>(last_.out_time_us / 1'000'000) : 0);
  return s;
}

bool BoardEncoder::significant_change(const v1::Status& last_sent, const v1::Status& now) const {
  const auto& a = last_sent.encoder();
  const auto& b = now.encoder();
  return a.state() != b.state() || b.dropped_frames() >= a.dropped_frames() + kDropBurst ||
         (a.fps() >= 25.0f && b.fps() < 20.0f);
}

CommandReply BoardEncoder::execute(const v1::Command& command, std::vector<HalEvent>& events) {
  (void)events;
  if (command.name() == "start_stream" || command.name() == "stop_stream") {
    return CommandReply::make(v1::COMMAND_OUTCOME_UNSUPPORTED,
                              "this board HAL only watches ffmpeg's progress; it does not start or stop ffmpeg yet");
  }
  return CommandReply::unsupported(command.name());
}

}  // namespace tidewire::firmware::board

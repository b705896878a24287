#include "board/board_devices.hpp"
#include "tidewire/common/log.hpp"

namespace tidewire::firmware::board {
namespace {
constexpr const char* kLog = "hal";
}  // namespace

BoardEncoder::BoardEncoder(const BoardHalOptions& options, Clock& clock, Counter& bad_lines)
    : options_(options), clock_(clock), bad_lines_(bad_lines), progress_(options.progress_path) {}

void BoardEncoder::on_block(const ffmpeg::Progress& block, std::vector<StreamReading>& readings) {
  last_block_ms_ = clock_.steady_ms();
  now_.state = block.end ? v1::ENCODER_STATE_IDLE : v1::ENCODER_STATE_LIVE;
  now_.bitrate_kbps = block.bitrate_kbps;
  now_.fps = block.fps;
  now_.dropped_frames = block.drop_frames;
  now_.frames = block.frame;
  // RTT and send buffer are not in ffmpeg's progress output: unknown.
  now_.uptime_s = block.out_time_us > 0 ? static_cast<double>(block.out_time_us / 1'000'000) : 0.0;
  now_.silent_ms = 0;
  readings.push_back(now_);
}

void BoardEncoder::poll(std::vector<StreamReading>& readings) {
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
          on_block(**block, readings);
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
  if (now_.state == v1::ENCODER_STATE_LIVE && now - last_block_ms_ >= options_.stream_stale_ms) {
    now_.state = v1::ENCODER_STATE_FAILED;
    now_.silent_ms = now - last_block_ms_;
    readings.push_back(now_);
  }
}

}  // namespace tidewire::firmware::board

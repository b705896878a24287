#pragma once
// ffmpeg's `-progress URL` output: blocks of key=value lines, each block closed by
// `progress=continue` (or `progress=end` when the encode finishes), e.g.
//   frame=1200
//   fps=29.97
//   bitrate=2000.5kbits/s
//   drop_frames=3
//   out_time_us=40040000
//   progress=continue
// The encoder board HAL reads these from a file or FIFO and turns them into stream health.
// Unknown keys are ignored (ffmpeg adds keys between versions); a known key with a bad
// value, or a line without '=', is an error for that line and the block goes on.
#include <cstdint>
#include <optional>
#include <string_view>

#include "tidewire/common/expected.hpp"

namespace tidewire::firmware::ffmpeg {

struct Progress {
  uint64_t frame = 0;
  double fps = 0;
  std::optional<double> bitrate_kbps;  // "N/A" at the very start of an encode
  uint64_t drop_frames = 0;
  uint64_t dup_frames = 0;
  int64_t out_time_us = 0;
  bool end = false;  // progress=end: the encode finished
};

class ProgressParser {
 public:
  // Feeds one line. Returns the finished block when the line closes one, nothing
  // otherwise, or an error for a bad line (the block being read is kept).
  Expected<std::optional<Progress>> feed(std::string_view line);
  uint64_t rejected() const { return rejected_; }

 private:
  Progress current_;
  uint64_t rejected_ = 0;
};

}  // namespace tidewire::firmware::ffmpeg

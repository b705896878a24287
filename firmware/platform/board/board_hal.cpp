#include "board/board_hal.hpp"

#include <dirent.h>

#include <algorithm>
#include <charconv>
#include <fstream>

#include "board/board_devices.hpp"

namespace tidewire::firmware::board {

DeviceHalPtr make_board_hal(v1::DeviceKind kind, const BoardHalOptions& options, Clock& clock,
                            MetricsRegistry& metrics) {
  auto bad_lines = [&](const char* source) -> Counter& {
    return metrics.counter("tw_agent_hal_bad_lines_total", "Lines from the board's devices that did not parse",
                           {{"source", source}});
  };
  switch (kind) {
    case v1::DEVICE_KIND_POSTER: return make_poster_role(std::make_unique<BoardPoster>(options, clock));
    case v1::DEVICE_KIND_RIDER:
      return make_rider_role(std::make_unique<BoardRider>(options, clock, bad_lines("nmea"), bad_lines("offer_ui")),
                             clock, &metrics);
    case v1::DEVICE_KIND_ENCODER:
      return make_encoder_role(std::make_unique<BoardEncoder>(options, clock, bad_lines("ffmpeg_progress")));
    default: return nullptr;
  }
}

std::optional<std::string> read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

std::optional<int64_t> read_int(const std::string& path) {
  auto line = read_first_line(path);
  if (!line) return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(line->data(), line->data() + line->size(), v);
  if (ec != std::errc() || ptr != line->data() + line->size()) return std::nullopt;
  return v;
}

std::vector<std::string> list_dir(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (name.compare(0, prefix.size(), prefix) == 0) out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace tidewire::firmware::board

#include <sys/statvfs.h>

#include <cmath>
#include <fstream>

#include "board/board_devices.hpp"

namespace tidewire::firmware::board {

BoardPoster::BoardPoster(const BoardHalOptions& options, Clock& clock) : options_(options), clock_(clock) {}

std::optional<std::string> BoardPoster::backlight() const {
  auto devices = list_dir(options_.backlight_dir);
  if (devices.empty()) return std::nullopt;
  return options_.backlight_dir + "/" + devices.front();
}

void BoardPoster::read_sysfs() {
  // Hottest zone: the panel's controller and the SoC both count against a sealed case.
  std::optional<double> hottest;
  for (const auto& zone : list_dir(options_.thermal_dir, "thermal_zone")) {
    auto milli = read_int(options_.thermal_dir + "/" + zone + "/temp");
    if (!milli) continue;
    double c = static_cast<double>(*milli) / 1000.0;
    if (c < -60 || c > 200) continue;  // a sensor reporting nonsense is ignored
    if (!hottest || c > *hottest) hottest = c;
  }
  panel_.temperature_c = hottest;

  struct statvfs vfs {};
  if (::statvfs(options_.storage_path.c_str(), &vfs) == 0) {
    panel_.free_storage_bytes = static_cast<uint64_t>(vfs.f_bavail) * static_cast<uint64_t>(vfs.f_frsize);
  }

  panel_.brightness_pct.reset();
  if (auto dir = backlight()) {
    auto value = read_int(*dir + "/brightness");
    auto max = read_int(*dir + "/max_brightness");
    if (value && max && *max > 0 && *value >= 0 && *value <= *max)
      panel_.brightness_pct =
          static_cast<uint32_t>(std::lround(100.0 * static_cast<double>(*value) / static_cast<double>(*max)));
  }
}

void BoardPoster::poll(std::vector<Showing>& rotated) {
  (void)rotated;  // no player
  int64_t now = clock_.steady_ms();
  if (now < next_read_ms_) return;
  next_read_ms_ = now + options_.sysfs_period_ms;
  read_sysfs();
}

Status BoardPoster::set_brightness(uint32_t pct) {
  auto dir = backlight();
  if (!dir) return make_error(ErrorCode::kNotFound, "no backlight under " + options_.backlight_dir);
  auto max = read_int(*dir + "/max_brightness");
  if (!max || *max <= 0) return make_error(ErrorCode::kIo, "cannot read " + *dir + "/max_brightness");
  std::ofstream out(*dir + "/brightness");
  out << (*max * pct + 50) / 100 << "\n";
  out.flush();
  if (!out) return make_error(ErrorCode::kIo, "cannot write " + *dir + "/brightness (permissions?)");
  next_read_ms_ = 0;  // report the new value at the next poll
  return {};
}

}  // namespace tidewire::firmware::board

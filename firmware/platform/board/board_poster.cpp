#include <dirent.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>

#include "board/board_devices.hpp"
#include "tidewire/common/log.hpp"

namespace tidewire::firmware::board {
namespace {
constexpr double kHotC = 75.0;   // "temperature.high" when crossing up
constexpr double kCoolC = 70.0;  // and "temperature.normal" when back under (hysteresis)
constexpr double kSignificantTempC = 3.0;
}  // namespace

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

DeviceHalPtr make_board_hal(v1::DeviceKind kind, const BoardHalOptions& options, Clock& clock,
                            MetricsRegistry& metrics) {
  auto bad_lines = [&](const char* source) -> Counter& {
    return metrics.counter("tw_agent_hal_bad_lines_total", "Lines from the board's devices that did not parse",
                           {{"source", source}});
  };
  switch (kind) {
    case v1::DEVICE_KIND_POSTER: return std::make_unique<BoardPoster>(options, clock);
    case v1::DEVICE_KIND_RIDER: return std::make_unique<BoardRider>(options, clock, bad_lines("nmea"), metrics);
    case v1::DEVICE_KIND_ENCODER: return std::make_unique<BoardEncoder>(options, clock, bad_lines("ffmpeg_progress"));
    default: return nullptr;
  }
}

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
  temperature_c_ = hottest;

  struct statvfs vfs {};
  if (::statvfs(options_.storage_path.c_str(), &vfs) == 0) {
    free_storage_bytes_ = static_cast<uint64_t>(vfs.f_bavail) * static_cast<uint64_t>(vfs.f_frsize);
  }

  brightness_pct_.reset();
  if (auto dir = backlight()) {
    auto value = read_int(*dir + "/brightness");
    auto max = read_int(*dir + "/max_brightness");
    if (value && max && *max > 0 && *value >= 0 && *value <= *max)
      brightness_pct_ =
          static_cast<uint32_t>(std::lround(100.0 * static_cast<double>(*value) / static_cast<double>(*max)));
  }
}

void BoardPoster::poll(std::vector<HalEvent>& events) {
  int64_t now = clock_.steady_ms();
  if (now < next_read_ms_) return;
  next_read_ms_ = now + options_.sysfs_period_ms;
  read_sysfs();
  if (!temperature_c_) return;
  double t = *temperature_c_;
  if (!hot_ && t >= kHotC) {
    hot_ = true;
    events.push_back({"temperature.high", v1::PRIORITY_HIGH, {{"temperature_c", std::to_string(std::lround(t))}}});
  } else if (hot_ && t <= kCoolC) {
    hot_ = false;
    events.push_back({"temperature.normal", v1::PRIORITY_NORMAL, {{"temperature_c", std::to_string(std::lround(t))}}});
  }
}

v1::Status BoardPoster::status() const {
  v1::Status s;
  auto* p = s.mutable_poster();
  // The creative is not known to the board HAL yet (campaigns are a later issue).
  p->set_display_on(!brightness_pct_ || *brightness_pct_ > 0);
  p->set_brightness_pct(brightness_pct_.value_or(100));
  p->set_temperature_c(static_cast<float>(temperature_c_.value_or(0.0)));
  p->set_free_storage_bytes(free_storage_bytes_);
  return s;
}

bool BoardPoster::significant_change(const v1::Status& last_sent, const v1::Status& now) const {
  const auto& a = last_sent.poster();
  const auto& b = now.poster();
  return a.display_on() != b.display_on() || a.brightness_pct() != b.brightness_pct() ||
         std::fabs(a.temperature_c() - b.temperature_c()) >= kSignificantTempC;
}

CommandReply BoardPoster::execute(const v1::Command& command, std::vector<HalEvent>& events) {
  (void)events;
  if (command.name() != "set_brightness") return CommandReply::unsupported(command.name());
  auto it = command.args().find("pct");
  int64_t pct = -1;
  if (it != command.args().end()) {
    const std::string& v = it->second;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), pct);
    if (ec != std::errc() || ptr != v.data() + v.size()) pct = -1;
  }
  if (pct < 0 || pct > 100) return CommandReply::failed("set_brightness needs pct=0..100");
  auto dir = backlight();
  if (!dir) return CommandReply::failed("no backlight under " + options_.backlight_dir);
  auto max = read_int(*dir + "/max_brightness");
  if (!max || *max <= 0) return CommandReply::failed("cannot read " + *dir + "/max_brightness");
  std::ofstream out(*dir + "/brightness");
  out << (*max * pct + 50) / 100 << "\n";
  out.flush();
  if (!out) return CommandReply::failed("cannot write " + *dir + "/brightness (permissions?)");
  next_read_ms_ = 0;  // report the new value at the next poll
  return CommandReply::ok("brightness " + std::to_string(pct) + "%");
}

}  // namespace tidewire::firmware::board

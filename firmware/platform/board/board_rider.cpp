#include <algorithm>
#include <cmath>

#include "board/board_devices.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/firmware/geo.hpp"

namespace tidewire::firmware::board {
namespace {
constexpr const char* kLog = "hal";
constexpr double kSignificantMoveM = 100.0;
}  // namespace

BoardRider::BoardRider(const BoardHalOptions& options, Clock& clock, Counter& bad_lines)
    : options_(options), clock_(clock), bad_lines_(bad_lines), gps_(options.gps_path) {}

void BoardRider::poll(std::vector<HalEvent>& events) {
  int64_t now = clock_.steady_ms();
  uint64_t bad = 0;
  std::string last_error;
  auto st = gps_.read(
      [&](std::string_view line) {
        if (line.empty()) return;
        if (auto fed = tracker_.feed(line); !fed) {
          ++bad;
          last_error = fed.error().message;
        }
      },
      now);
  if (!st) TW_WARN(kLog, "GPS: " << st.error().message);
  if (bad > 0) {
    bad_lines_.inc(bad);
    if (now >= next_warn_ms_) {
      next_warn_ms_ = now + 60'000;
      TW_WARN(kLog,
              "GPS: dropped " << bad << " bad NMEA lines from " << gps_.path() << " (last: " << last_error << ")");
    }
  }
  const auto& fix = tracker_.fix();
  if (fix.valid != had_fix_) {
    had_fix_ = fix.valid;
    events.push_back({fix.valid ? "gps.fix_acquired" : "gps.fix_lost", v1::PRIORITY_NORMAL, {}});
  }
  if (now >= next_battery_ms_) {
    next_battery_ms_ = now + options_.sysfs_period_ms;
    battery_pct_.reset();
    for (const auto& supply : list_dir(options_.power_supply_dir)) {
      std::string dir = options_.power_supply_dir + "/" + supply;
      if (read_first_line(dir + "/type").value_or("") != "Battery") continue;
      auto capacity = read_int(dir + "/capacity");
      if (capacity && *capacity >= 0 && *capacity <= 100) {
        battery_pct_ = static_cast<uint32_t>(*capacity);
        break;
      }
    }
  }
}

v1::Status BoardRider::status() const {
  v1::Status s;
  auto* r = s.mutable_rider();
  const auto& fix = tracker_.fix();
  r->set_lat(fix.lat_deg);
  r->set_lon(fix.lon_deg);
  r->set_speed_mps(static_cast<float>(fix.speed_mps));
  r->set_heading_deg(static_cast<float>(fix.heading_deg));
  // No fix: accuracy 0 says "unknown", and the position is the last one known.
  r->set_accuracy_m(fix.valid ? static_cast<float>(fix.accuracy_m) : 0.0f);
  r->set_battery_pct(battery_pct_.value_or(100));
  r->set_available(wants_orders_ && fix.valid);
  return s;
}

bool BoardRider::significant_change(const v1::Status& last_sent, const v1::Status& now) const {
  const auto& a = last_sent.rider();
  const auto& b = now.rider();
  return a.available() != b.available() || a.battery_pct() / 5 != b.battery_pct() / 5 ||
         geo::distance_m(a.lat(), a.lon(), b.lat(), b.lon()) >= kSignificantMoveM;
}

CommandReply BoardRider::execute(const v1::Command& command, std::vector<HalEvent>& events) {
  (void)events;
  if (command.name() != "set_available") return CommandReply::unsupported(command.name());
  auto it = command.args().find("available");
  if (it == command.args().end() || (it->second != "true" && it->second != "false"))
    return CommandReply::failed("set_available needs available=true|false");
  wants_orders_ = it->second == "true";
  return CommandReply::ok(wants_orders_ ? "taking orders" : "not taking orders");
}

}  // namespace tidewire::firmware::board

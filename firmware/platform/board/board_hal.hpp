#pragma once
// The hardware of real boards, under the roles (poster_role.hpp, rider_role.hpp,
// encoder_role.hpp), reading what Linux already exposes. Every read is non-blocking
// (sysfs files, a GPS tty or file, an ffmpeg progress file or FIFO), so the agent's one
// thread never stalls on hardware.
//   poster   temperature = hottest /sys/class/thermal/thermal_zone*/temp, free storage =
//            statvfs(storage_path), brightness from /sys/class/backlight/*, which
//            set_brightness writes (needs write access to it). No player yet.
//   rider    position, speed and heading from NMEA ($xxRMC, $xxGGA) lines read from
//            gps_path, battery from /sys/class/power_supply/*/capacity (type Battery).
//            The rider is asked through a local UI on offer_socket_path (offer_desk.hpp):
//            an offer is shown and answered when the rider taps accept/decline; with no UI
//            connected it is declined at once, and when the UI goes away the offers it
//            showed are declined; an expired offer is withdrawn from the UI. The UI's
//            picked_up / delivered lines are reported at the current GPS position.
//   encoder  stream health from ffmpeg `-progress` blocks read from progress_path
//            (run ffmpeg with `-progress /run/tidewire/ffmpeg-progress`); LIVE while
//            blocks arrive, IDLE after progress=end, FAILED when they stop for
//            stream_stale_ms without it. Starting and stopping ffmpeg is not built yet.
// Bad input lines are counted in tw_agent_hal_bad_lines_total{source}.
#include <cstdint>
#include <string>

#include "tidewire/common/clock.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/firmware/hal.hpp"

namespace tidewire::firmware::board {

struct BoardHalOptions {
  std::string thermal_dir = "/sys/class/thermal";
  std::string backlight_dir = "/sys/class/backlight";
  std::string power_supply_dir = "/sys/class/power_supply";
  std::string storage_path = "/";  // the agent passes its state dir
  std::string gps_path = "/dev/ttyACM0";
  std::string progress_path = "/run/tidewire/ffmpeg-progress";
  std::string offer_socket_path;   // rider: the UI socket; empty = no UI, offers declined
  int64_t sysfs_period_ms = 5000;  // sysfs and statvfs are read at most this often
  int64_t stream_stale_ms = 5000;  // no progress block for this long -> stream FAILED
};

// kind must be poster, rider or encoder; anything else returns nullptr.
DeviceHalPtr make_board_hal(v1::DeviceKind kind, const BoardHalOptions& options, Clock& clock,
                            MetricsRegistry& metrics);

}  // namespace tidewire::firmware::board

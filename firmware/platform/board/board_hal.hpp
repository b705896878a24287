#pragma once
// HALs for real boards, reading what Linux already exposes. Every read is non-blocking
// (sysfs files, a GPS tty or file, an ffmpeg progress file or FIFO), so the agent's one
// thread never stalls on hardware.
//   poster   temperature = hottest /sys/class/thermal/thermal_zone*/temp, free storage =
//            statvfs(storage_path), brightness from /sys/class/backlight/*; command
//            set_brightness{pct} writes the backlight (needs write access to it)
//   rider    position, speed and heading from NMEA ($xxRMC, $xxGGA) lines read from
//            gps_path, battery from /sys/class/power_supply/*/capacity (type Battery);
//            command set_available{available}; events gps.fix_acquired / gps.fix_lost.
//            Dispatch through a local UI on offer_socket_path (offer_desk.hpp): an offer
//            is shown to the UI and answered when the rider taps accept/decline; with no
//            UI connected it is declined at once; unanswered, the session answers EXPIRED
//            at the offer's deadline and the UI is told it was withdrawn. The UI's
//            picked_up / delivered lines become events at the current GPS position.
//   encoder  stream health from ffmpeg `-progress` blocks read from progress_path
//            (run ffmpeg with `-progress /run/tidewire/ffmpeg-progress`); LIVE while
//            blocks arrive, IDLE after progress=end, FAILED when they stop without it;
//            events stream.started / stream.stopped / stream.failed / frames.dropped.
//            Starting and stopping ffmpeg is not built yet: start_stream / stop_stream
//            answer UNSUPPORTED.
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

#pragma once
// Simulated devices for tests, demos and tidewire-sim's virtual fleets. Deterministic:
// all time comes from the Clock and all chance from the Random they are given, so a
// seeded fleet replays identically.
//   poster   cycles creatives from a playlist, temperature drifts with the display state;
//            commands set_brightness{pct}, set_display{on}, show_creative{creative_id}
//   rider    rides legs between random points of an area at 4-7 m/s, dwells at stops,
//            drains its battery and goes off shift to charge; picks up and delivers
//            orders; command set_available{available}
//   encoder  a live stream with bitrate/fps/RTT/buffer jitter and dropped-frame bursts;
//            commands start_stream{bitrate_kbps?}, stop_stream, set_bitrate{kbps}
// Spontaneous events (display.changed, order.picked_up / order.delivered,
// frames.dropped) arrive as a Poisson process with mean event_interval_ms; state
// changes (shift.started / shift.ended, stream.started / stream.stopped) come on top.
#include <cstdint>

#include "tidewire/common/clock.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/firmware/hal.hpp"

namespace tidewire::firmware {

struct SimHalOptions {
  int64_t event_interval_ms = 60'000;  // mean gap between spontaneous events; 0 = none
  // Rider area: a disc around a centre (default: central Shanghai).
  double center_lat = 31.2304;
  double center_lon = 121.4737;
  double area_radius_m = 3000;
  bool encoder_live_at_start = true;
};

// kind must be poster, rider or encoder; anything else returns nullptr.
DeviceHalPtr make_sim_hal(v1::DeviceKind kind, const SimHalOptions& options, Clock& clock, Random& random);

}  // namespace tidewire::firmware

#pragma once
// Simulated devices for tests, demos, tidewire-agent-sim and tidewire-sim's virtual fleets:
// the simulated hardware under each role (poster_role.hpp, rider_role.hpp,
// encoder_role.hpp), so a simulated device behaves as a board does wherever the role
// decides. Not linked into the board's tidewire-agent (library tw_agent_sim).
// Deterministic: all time comes from the Clock and all chance from the Random they are
// given, so a seeded fleet replays identically.
//   poster   a player cycling creatives from a playlist (so set_display and show_creative
//            work), temperature drifting with the display state, brightness 80%
//   rider    rides legs between random points of an area at 4-7 m/s, dwells at stops,
//            drains its battery and goes off shift to charge; picks up and delivers
//            made-up orders. Dispatch (docs/dispatch.md): the simulated courier answers
//            an offer at once, declining when it would take it over rider_max_orders and
//            otherwise accepting with rider_accept_probability; it then rides to each
//            pickup, waits pickup_service_s and until the leg's ready time, picks up, rides
//            to the drop-off, waits dropoff_service_s and delivers; legs are done pickups
//            first, then drop-offs, in offer order, after any earlier trip. With
//            rider_roams = false (replays) an idle rider waits where it is, makes up no
//            orders and never goes off shift to charge.
//   encoder  a live stream with bitrate/fps/RTT/buffer jitter and dropped-frame bursts,
//            started and stopped with STARTING / STOPPING transitions
// Spontaneous happenings (a creative rotating, a made-up order picked up or delivered, a
// burst of dropped frames) arrive as a Poisson process with mean event_interval_ms.
#include <cstddef>
#include <cstdint>
#include <optional>

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

  // Rider, dispatch.
  double rider_accept_probability = 0.9;  // chance an eligible offer is accepted
  size_t rider_max_orders = 2;            // orders carried at once (accepted, not delivered)
  double pickup_service_s = 240;          // at the merchant, counted from arrival
  double dropoff_service_s = 240;         // at the customer
  double rider_speed_mps = 0;             // 0: 4-7 m/s with traffic jitter; > 0: exactly this
  bool rider_roams = true;                // see above; false for dispatch replays
  // Where the rider starts (both set), instead of a random point of the area.
  std::optional<double> rider_start_lat;
  std::optional<double> rider_start_lon;
  // Shift window in wall-clock ms (riders.csv on_s/off_s): on shift from on to off.
  // 0 and 0 = always (the battery still decides when rider_roams).
  int64_t shift_on_wall_ms = 0;
  int64_t shift_off_wall_ms = 0;
};

// kind must be poster, rider or encoder; anything else returns nullptr.
DeviceHalPtr make_sim_hal(v1::DeviceKind kind, const SimHalOptions& options, Clock& clock, Random& random);

}  // namespace tidewire::firmware

#pragma once
// Simulated devices for tests, demos and tidewire-sim's virtual fleets. Deterministic:
// all time comes from the Clock and all chance from the Random they are given, so a
// seeded fleet replays identically.
//   poster   cycles creatives from a playlist, temperature drifts with the display state;
//            commands set_brightness{pct}, set_display{on}, show_creative{creative_id}
//   rider    rides legs between random points of an area at 4-7 m/s, dwells at stops,
//            drains its battery and goes off shift to charge; picks up and delivers
//            made-up orders; command set_available{available}. Dispatch (docs/dispatch.md):
//            answers dispatch.offer (accepts with rider_accept_probability; declines off
//            shift, when not taking orders, or when the offer would take it over
//            rider_max_orders), then rides to each pickup, waits pickup_service_s and until
//            the leg's ready time, reports order.picked_up, rides to the drop-off, waits
//            dropoff_service_s and reports order.delivered (both with lat/lon); legs are
//            done pickups first, then drop-offs, in offer order, after any earlier trip.
//            dispatch.cancel{order_id} drops an order. Carrying dispatched orders makes it
//            unavailable. With rider_roams = false (replays) an idle rider waits where it
//            is, makes up no orders and never goes off shift to charge.
//   encoder  a live stream with bitrate/fps/RTT/buffer jitter and dropped-frame bursts;
//            commands start_stream{bitrate_kbps?}, stop_stream, set_bitrate{kbps}
// Spontaneous events (display.changed, order.picked_up / order.delivered,
// frames.dropped) arrive as a Poisson process with mean event_interval_ms; state
// changes (shift.started / shift.ended, stream.started / stream.stopped) come on top.
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

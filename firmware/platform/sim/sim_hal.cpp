#include "sim/sim_hal.hpp"

#include <cmath>

#include "sim/sim_devices.hpp"

namespace tidewire::firmware {

DeviceHalPtr make_sim_hal(v1::DeviceKind kind, const SimHalOptions& options, Clock& clock, Random& random) {
  switch (kind) {
    case v1::DEVICE_KIND_POSTER: return make_poster_role(std::make_unique<sim::SimPoster>(options, clock, random));
    case v1::DEVICE_KIND_RIDER:
      return make_rider_role(std::make_unique<sim::SimRider>(options, clock, random), clock, nullptr);
    case v1::DEVICE_KIND_ENCODER: return make_encoder_role(std::make_unique<sim::SimEncoder>(options, clock, random));
    default: return nullptr;
  }
}

namespace sim {

SimDevice::SimDevice(const SimHalOptions& options, Clock& clock, Random& random)
    : options_(options), clock_(clock), random_(random) {}

double SimDevice::advance() {
  int64_t now = clock_.steady_ms();
  double dt = last_ms_ < 0 ? 0.0 : static_cast<double>(now - last_ms_) / 1000.0;
  last_ms_ = now;
  return dt < 0 ? 0.0 : dt;
}

int SimDevice::due_events() {
  if (options_.event_interval_ms <= 0) return 0;
  int64_t now = clock_.steady_ms();
  auto gap = [&]() {
    // Exponential inter-arrival times; 1 - unit() is in (0, 1], so log() is finite.
    double g = -std::log(1.0 - random_.unit()) * static_cast<double>(options_.event_interval_ms);
    return static_cast<int64_t>(g) + 1;
  };
  if (next_event_ms_ < 0) next_event_ms_ = now + gap();
  int n = 0;
  // Capped so a simulator that jumps its clock by hours does not get a burst of thousands.
  while (now >= next_event_ms_ && n < 16) {
    ++n;
    next_event_ms_ += gap();
  }
  if (now >= next_event_ms_) next_event_ms_ = now + gap();
  return n;
}

double SimDevice::normal() {
  double s = 0;
  for (int i = 0; i < 12; ++i) s += random_.unit();
  return s - 6.0;
}

}  // namespace sim
}  // namespace tidewire::firmware

#include "tidewire/firmware/sim_hal.hpp"

#include <charconv>
#include <cmath>

#include "sim_devices.hpp"

namespace tidewire::firmware {

DeviceHalPtr make_sim_hal(v1::DeviceKind kind, const SimHalOptions& options, Clock& clock, Random& random) {
  switch (kind) {
    case v1::DEVICE_KIND_POSTER: return std::make_unique<sim::SimPoster>(options, clock, random);
    case v1::DEVICE_KIND_RIDER: return std::make_unique<sim::SimRider>(options, clock, random);
    case v1::DEVICE_KIND_ENCODER: return std::make_unique<sim::SimEncoder>(options, clock, random);
    default: return nullptr;
  }
}

namespace sim {

std::optional<std::string> arg(const v1::Command& command, const std::string& key) {
  auto it = command.args().find(key);
  if (it == command.args().end()) return std::nullopt;
  return it->second;
}

std::optional<bool> bool_arg(const v1::Command& command, const std::string& key) {
  auto v = arg(command, key);
  if (!v) return std::nullopt;
  if (*v == "true" || *v == "1" || *v == "on") return true;
  if (*v == "false" || *v == "0" || *v == "off") return false;
  return std::nullopt;
}

std::optional<int64_t> int_arg(const v1::Command& command, const std::string& key, int64_t lo, int64_t hi) {
  auto v = arg(command, key);
  if (!v) return std::nullopt;
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || ptr != v->data() + v->size() || out < lo || out > hi) return std::nullopt;
  return out;
}

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

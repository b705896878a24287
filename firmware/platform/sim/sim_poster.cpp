#include <algorithm>
#include <cmath>

#include "sim/sim_devices.hpp"

namespace tidewire::firmware::sim {
namespace {
// Panel temperature settles towards these with the display on / off.
constexpr double kWarmC = 41.0;
constexpr double kCoolC = 27.0;
constexpr double kSettlePerS = 0.002;  // fraction of the gap closed per second (~8 min time constant)
}  // namespace

SimPoster::SimPoster(const SimHalOptions& options, Clock& clock, Random& random) : SimDevice(options, clock, random) {
  for (int i = 1; i <= 4; ++i) playlist_.push_back("creative-" + std::to_string(i));
  playing_ = static_cast<size_t>(random_.uniform(0, playlist_.size() - 1));
  temperature_c_ = uniform(30.0, 38.0);
  free_storage_bytes_ = random_.uniform(2, 6) * 1024ULL * 1024 * 1024;
}

void SimPoster::poll(std::vector<Showing>& rotated) {
  double dt = advance();
  double target = display_on_ ? kWarmC : kCoolC;
  double settle = std::min(1.0, kSettlePerS * dt);
  temperature_c_ += (target - temperature_c_) * settle + 0.05 * std::sqrt(dt) * normal();
  for (int n = due_events(); n > 0; --n) {
    playing_ = (playing_ + 1) % playlist_.size();
    rotated.push_back(showing());
  }
}

PanelReading SimPoster::read() const {
  return {temperature_c_, free_storage_bytes_, brightness_pct_};
}

Status SimPoster::set_brightness(uint32_t pct) {
  brightness_pct_ = pct;
  return {};
}

Showing SimPoster::show(const std::string& creative_id) {
  auto it = std::find(playlist_.begin(), playlist_.end(), creative_id);
  if (it == playlist_.end()) {
    playlist_.push_back(creative_id);
    ++playlist_version_;
    it = playlist_.end() - 1;
  }
  playing_ = static_cast<size_t>(it - playlist_.begin());
  return showing();
}

}  // namespace tidewire::firmware::sim

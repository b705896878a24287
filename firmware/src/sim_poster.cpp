#include <algorithm>
#include <cmath>

#include "sim_devices.hpp"

namespace tidewire::firmware::sim {
namespace {
// Panel temperature settles towards these with the display on / off.
constexpr double kWarmC = 41.0;
constexpr double kCoolC = 27.0;
constexpr double kSettlePerS = 0.002;  // fraction of the gap closed per second (~8 min time constant)
constexpr double kSignificantTempC = 3.0;
}  // namespace

SimPoster::SimPoster(const SimHalOptions& options, Clock& clock, Random& random) : SimDevice(options, clock, random) {
  for (int i = 1; i <= 4; ++i) playlist_.push_back("creative-" + std::to_string(i));
  playing_ = static_cast<size_t>(random_.uniform(0, playlist_.size() - 1));
  creative_ = playlist_[playing_];
  temperature_c_ = uniform(30.0, 38.0);
  free_storage_bytes_ = random_.uniform(2, 6) * 1024ULL * 1024 * 1024;
}

void SimPoster::show(const std::string& creative, const char* why, std::vector<HalEvent>& events) {
  creative_ = creative;
  events.push_back(
      {"display.changed",
       v1::PRIORITY_NORMAL,
       {{"creative_id", creative_}, {"playlist_version", std::to_string(playlist_version_)}, {"reason", why}}});
}

void SimPoster::poll(std::vector<HalEvent>& events) {
  double dt = advance();
  double target = display_on_ ? kWarmC : kCoolC;
  double settle = std::min(1.0, kSettlePerS * dt);
  temperature_c_ += (target - temperature_c_) * settle + 0.05 * std::sqrt(dt) * normal();
  for (int n = due_events(); n > 0; --n) {
    playing_ = (playing_ + 1) % playlist_.size();
    show(playlist_[playing_], "playlist", events);
  }
}

v1::Status SimPoster::status() const {
  v1::Status s;
  auto* p = s.mutable_poster();
  p->set_creative_id(creative_);
  p->set_playlist_version(playlist_version_);
  p->set_display_on(display_on_);
  p->set_brightness_pct(brightness_pct_);
  p->set_temperature_c(static_cast<float>(temperature_c_));
  p->set_free_storage_bytes(free_storage_bytes_);
  return s;
}

bool SimPoster::significant_change(const v1::Status& last_sent, const v1::Status& now) const {
  const auto& a = last_sent.poster();
  const auto& b = now.poster();
  return a.creative_id() != b.creative_id() || a.display_on() != b.display_on() ||
         a.brightness_pct() != b.brightness_pct() ||
         std::fabs(a.temperature_c() - b.temperature_c()) >= kSignificantTempC;
}

CommandReply SimPoster::execute(const v1::Command& command, std::vector<HalEvent>& events) {
  const std::string& name = command.name();
  if (name == "set_brightness") {
    auto pct = int_arg(command, "pct", 0, 100);
    if (!pct) return CommandReply::failed("set_brightness needs pct=0..100");
    brightness_pct_ = static_cast<uint32_t>(*pct);
    return CommandReply::ok("brightness " + std::to_string(brightness_pct_) + "%");
  }
  if (name == "set_display") {
    auto on = bool_arg(command, "on");
    if (!on) return CommandReply::failed("set_display needs on=true|false");
    display_on_ = *on;
    return CommandReply::ok(display_on_ ? "display on" : "display off");
  }
  if (name == "show_creative") {
    auto id = arg(command, "creative_id");
    if (!id || id->empty() || id->size() > 128) return CommandReply::failed("show_creative needs creative_id");
    if (std::find(playlist_.begin(), playlist_.end(), *id) == playlist_.end()) {
      playlist_.push_back(*id);
      ++playlist_version_;
    }
    playing_ = static_cast<size_t>(std::find(playlist_.begin(), playlist_.end(), *id) - playlist_.begin());
    show(*id, "command", events);
    CommandReply reply = CommandReply::ok("showing " + *id);
    reply.output["playlist_version"] = std::to_string(playlist_version_);
    return reply;
  }
  return CommandReply::unsupported(name);
}

}  // namespace tidewire::firmware::sim

#include "tidewire/firmware/poster_role.hpp"

#include <cmath>

#include "command_args.hpp"

namespace tidewire::firmware {
namespace {

constexpr double kHotC = 75.0;   // temperature.high when reaching this
constexpr double kCoolC = 70.0;  // and temperature.normal when back at or under this (hysteresis)
constexpr double kSignificantTempC = 3.0;
constexpr size_t kMaxCreativeId = 128;

class PosterRole final : public DeviceHal {
 public:
  explicit PosterRole(PosterHardwarePtr hardware) : hw_(std::move(hardware)), player_(hw_->player()) {}

  // Interface: DeviceHal
  v1::DeviceKind kind() const override { return v1::DEVICE_KIND_POSTER; }
  void poll(std::vector<HalEvent>& events) override;
  v1::Status status() const override;
  bool significant_change(const v1::Status& last_sent, const v1::Status& now) const override;
  CommandReply execute(const v1::Command& command, std::vector<HalEvent>& events) override;

 private:
  static HalEvent changed(const Showing& showing, const char* reason);
  CommandReply set_brightness(const v1::Command& command);
  CommandReply set_display(const v1::Command& command);
  CommandReply show_creative(const v1::Command& command, std::vector<HalEvent>& events);

  PosterHardwarePtr hw_;
  PosterPlayer* player_;  // null: no player
  std::vector<Showing> rotated_;
  bool hot_ = false;
};

HalEvent PosterRole::changed(const Showing& showing, const char* reason) {
  return {"display.changed",
          v1::PRIORITY_NORMAL,
          {{"creative_id", showing.creative_id},
           {"playlist_version", std::to_string(showing.playlist_version)},
           {"reason", reason}}};
}

void PosterRole::poll(std::vector<HalEvent>& events) {
  rotated_.clear();
  hw_->poll(rotated_);
  for (const auto& s : rotated_) events.push_back(changed(s, "playlist"));
  auto t = hw_->read().temperature_c;
  if (!t) return;
  if (!hot_ && *t >= kHotC) {
    hot_ = true;
    events.push_back({"temperature.high", v1::PRIORITY_HIGH, {{"temperature_c", std::to_string(std::lround(*t))}}});
  } else if (hot_ && *t <= kCoolC) {
    hot_ = false;
    events.push_back({"temperature.normal", v1::PRIORITY_NORMAL, {{"temperature_c", std::to_string(std::lround(*t))}}});
  }
}

v1::Status PosterRole::status() const {
  v1::Status s;
  auto* p = s.mutable_poster();
  PanelReading panel = hw_->read();
  if (player_) {
    Showing showing = player_->showing();
    p->set_creative_id(showing.creative_id);
    p->set_playlist_version(showing.playlist_version);
    p->set_display_on(player_->display_on());
  } else {
    // Without a player the screen is lit unless the backlight is off.
    p->set_display_on(!panel.brightness_pct || *panel.brightness_pct > 0);
  }
  p->set_brightness_pct(panel.brightness_pct.value_or(100));
  p->set_temperature_c(static_cast<float>(panel.temperature_c.value_or(0.0)));
  p->set_free_storage_bytes(panel.free_storage_bytes);
  return s;
}

bool PosterRole::significant_change(const v1::Status& last_sent, const v1::Status& now) const {
  const auto& a = last_sent.poster();
  const auto& b = now.poster();
  return a.creative_id() != b.creative_id() || a.display_on() != b.display_on() ||
         a.brightness_pct() != b.brightness_pct() ||
         std::fabs(a.temperature_c() - b.temperature_c()) >= kSignificantTempC;
}

CommandReply PosterRole::set_brightness(const v1::Command& command) {
  auto pct = roles::int_arg(command, "pct", 0, 100);
  if (!pct) return CommandReply::failed("set_brightness needs pct=0..100");
  if (auto st = hw_->set_brightness(static_cast<uint32_t>(*pct)); !st) return CommandReply::failed(st.error().message);
  return CommandReply::ok("brightness " + std::to_string(*pct) + "%");
}

CommandReply PosterRole::set_display(const v1::Command& command) {
  if (!player_) return CommandReply::make(v1::COMMAND_OUTCOME_UNSUPPORTED, "set_display: this poster has no player");
  auto on = roles::bool_arg(command, "on");
  if (!on) return CommandReply::failed("set_display needs on=true|false");
  player_->set_display(*on);
  return CommandReply::ok(*on ? "display on" : "display off");
}

CommandReply PosterRole::show_creative(const v1::Command& command, std::vector<HalEvent>& events) {
  if (!player_) return CommandReply::make(v1::COMMAND_OUTCOME_UNSUPPORTED, "show_creative: this poster has no player");
  auto id = roles::arg(command, "creative_id");
  if (!id || id->empty() || id->size() > kMaxCreativeId) return CommandReply::failed("show_creative needs creative_id");
  Showing now = player_->show(*id);
  events.push_back(changed(now, "command"));
  CommandReply reply = CommandReply::ok("showing " + *id);
  reply.output["playlist_version"] = std::to_string(now.playlist_version);
  return reply;
}

CommandReply PosterRole::execute(const v1::Command& command, std::vector<HalEvent>& events) {
  const std::string& name = command.name();
  if (name == "set_brightness") return set_brightness(command);
  if (name == "set_display") return set_display(command);
  if (name == "show_creative") return show_creative(command, events);
  return CommandReply::unsupported(name);
}

}  // namespace

DeviceHalPtr make_poster_role(PosterHardwarePtr hardware) {
  return std::make_unique<PosterRole>(std::move(hardware));
}

}  // namespace tidewire::firmware

#pragma once
// The poster screen, written once for boards and the simulator (src/roles/poster_role.cpp):
// what it reports, the events it raises and how it answers
//   set_brightness{pct=0..100}  the backlight
//   set_display{on}             the player blanks or lights the screen
//   show_creative{creative_id}  the player shows a creative (added to its playlist if new)
// Events: temperature.high (HIGH) when the panel reaches 75 C, temperature.normal when it is
// back at 70 C or under; display.changed{creative_id, playlist_version, reason} whenever
// the player changes creative (reason "playlist" for its own rotation, "command").
//
// PosterHardware is all that differs between a board (sysfs thermal zones, statvfs, the
// backlight) and the simulator (numbers that drift). Boards have no player yet (campaigns
// are a later issue): set_display and show_creative answer UNSUPPORTED there.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/firmware/hal.hpp"

namespace tidewire::firmware {

// What the panel's sensors say now.
struct PanelReading {
  std::optional<double> temperature_c;  // hottest sensor; empty: none readable
  uint64_t free_storage_bytes = 0;
  std::optional<uint32_t> brightness_pct;  // empty: no backlight readable
};

// The creative on screen.
struct Showing {
  std::string creative_id;
  uint64_t playlist_version = 0;
};

// What is on the screen, and whether the screen is lit.
class PosterPlayer {
 public:
  virtual ~PosterPlayer() = default;
  virtual Showing showing() const = 0;
  virtual bool display_on() const = 0;
  virtual void set_display(bool on) = 0;
  // Shows creative_id now (adding it to the playlist when new) and says what is shown.
  virtual Showing show(const std::string& creative_id) = 0;
};

class PosterHardware {
 public:
  virtual ~PosterHardware() = default;
  // Reads the sensors (or advances the simulated panel) up to now. Creatives the player
  // moved on to by itself since the last poll are appended to `rotated`, oldest first.
  virtual void poll(std::vector<Showing>& rotated) = 0;
  virtual PanelReading read() const = 0;
  // An error says why the backlight could not be set (none, unreadable, not writable).
  virtual Status set_brightness(uint32_t pct) = 0;
  // nullptr when the poster has no player (boards, until campaigns). Asked once, when
  // the role is made; the player lives as long as the hardware.
  virtual PosterPlayer* player() { return nullptr; }
};
using PosterHardwarePtr = std::unique_ptr<PosterHardware>;

DeviceHalPtr make_poster_role(PosterHardwarePtr hardware);

}  // namespace tidewire::firmware

#pragma once
// The board hardware behind make_board_hal (board_hal.hpp documents it); the roles
// (src/roles/) decide what is reported and how commands are answered.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "board/board_hal.hpp"
#include "board/line_source.hpp"
#include "board/offer_desk.hpp"
#include "tidewire/firmware/encoder_role.hpp"
#include "tidewire/firmware/ffmpeg_progress.hpp"
#include "tidewire/firmware/nmea.hpp"
#include "tidewire/firmware/poster_role.hpp"
#include "tidewire/firmware/rider_role.hpp"

namespace tidewire::firmware::board {

// Small sysfs helpers: a file's first line, or an integer in it.
std::optional<std::string> read_first_line(const std::string& path);
std::optional<int64_t> read_int(const std::string& path);
// Entries of a directory whose names start with prefix, sorted (empty when unreadable).
std::vector<std::string> list_dir(const std::string& dir, const std::string& prefix = "");

// Thermal zones, the state dir's free space and the backlight, read every sysfs_period_ms.
class BoardPoster final : public PosterHardware {
 public:
  BoardPoster(const BoardHalOptions& options, Clock& clock);
  // Interface: PosterHardware
  void poll(std::vector<Showing>& rotated) override;
  PanelReading read() const override { return panel_; }
  Status set_brightness(uint32_t pct) override;

 private:
  void read_sysfs();
  std::optional<std::string> backlight() const;  // first backlight device dir

  BoardHalOptions options_;
  Clock& clock_;
  int64_t next_read_ms_ = 0;
  PanelReading panel_;
};

// NMEA from the GPS tty, the battery from sysfs, and the rider's taps on the offer UI.
class BoardRider final : public RiderHardware {
 public:
  BoardRider(const BoardHalOptions& options, Clock& clock, Counter& bad_lines, Counter& ui_bad_lines);
  // Interface: RiderHardware
  void poll(RiderTaps& taps) override;
  PositionFix fix() const override;
  std::optional<uint32_t> battery_pct() const override { return battery_pct_; }
  OfferDecision present(const v1::Offer& offer, const std::vector<std::string>& carried) override;
  void withdrawn(const std::string& offer_id) override;
  void cancelled(const std::string& order_id) override;

 private:
  void read_gps(int64_t now);
  void read_battery(int64_t now);
  void serve_ui(int64_t now, RiderTaps& taps);
  void on_ui_line(const std::string& line, RiderTaps& taps);

  BoardHalOptions options_;
  Clock& clock_;
  Counter& bad_lines_;
  Counter& ui_bad_lines_;
  std::unique_ptr<OfferDesk> desk_;  // null without offer_socket_path
  std::vector<std::string> ui_lines_;
  int64_t next_ui_warn_ms_ = 0;
  LineSource gps_;
  nmea::GpsTracker tracker_;
  int64_t next_battery_ms_ = 0;
  std::optional<uint32_t> battery_pct_;
  int64_t next_warn_ms_ = 0;
};

// ffmpeg's -progress blocks: LIVE while they arrive, IDLE after progress=end, FAILED when
// they stop without it.
class BoardEncoder final : public EncoderHardware {
 public:
  BoardEncoder(const BoardHalOptions& options, Clock& clock, Counter& bad_lines);
  // Interface: EncoderHardware
  void poll(std::vector<StreamReading>& readings) override;
  StreamReading reading() const override { return now_; }

 private:
  void on_block(const ffmpeg::Progress& block, std::vector<StreamReading>& readings);

  BoardHalOptions options_;
  Clock& clock_;
  Counter& bad_lines_;
  LineSource progress_;
  ffmpeg::ProgressParser parser_;
  StreamReading now_;
  int64_t last_block_ms_ = 0;
  int64_t next_warn_ms_ = 0;
};

}  // namespace tidewire::firmware::board

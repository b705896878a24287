#pragma once
// The board HALs behind make_board_hal (board_hal.hpp documents them).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "board/board_hal.hpp"
#include "board/line_source.hpp"
#include "board/offer_desk.hpp"
#include "tidewire/firmware/ffmpeg_progress.hpp"
#include "tidewire/firmware/nmea.hpp"
#include "tidewire/v1/dispatch.pb.h"

namespace tidewire::firmware::board {

// Small sysfs helpers: a file's first line, or an integer in it.
std::optional<std::string> read_first_line(const std::string& path);
std::optional<int64_t> read_int(const std::string& path);
// Entries of a directory whose names start with prefix, sorted (empty when unreadable).
std::vector<std::string> list_dir(const std::string& dir, const std::string& prefix = "");

class BoardPoster final : public DeviceHal {
 public:
  BoardPoster(const BoardHalOptions& options, Clock& clock);
  // Interface: DeviceHal
  v1::DeviceKind kind() const override { return v1::DEVICE_KIND_POSTER; }
  void poll(std::vector<HalEvent>& events) override;
  v1::Status status() const override;
  bool significant_change(const v1::Status& last_sent, const v1::Status& now) const override;
  CommandReply execute(const v1::Command& command, std::vector<HalEvent>& events) override;

 private:
  void read_sysfs();
  std::optional<std::string> backlight() const;  // first backlight device dir

  BoardHalOptions options_;
  Clock& clock_;
  int64_t next_read_ms_ = 0;
  std::optional<double> temperature_c_;
  uint64_t free_storage_bytes_ = 0;
  std::optional<uint32_t> brightness_pct_;
  bool hot_ = false;
};

class BoardRider final : public DeviceHal {
 public:
  BoardRider(const BoardHalOptions& options, Clock& clock, Counter& bad_lines, MetricsRegistry& metrics);
  // Interface: DeviceHal
  v1::DeviceKind kind() const override { return v1::DEVICE_KIND_RIDER; }
  void poll(std::vector<HalEvent>& events) override;
  v1::Status status() const override;
  bool significant_change(const v1::Status& last_sent, const v1::Status& now) const override;
  CommandReply execute(const v1::Command& command, std::vector<HalEvent>& events) override;
  void take_deferred_replies(std::vector<DeferredReply>& out) override;

 private:
  struct PendingOffer {
    std::string command_id;
    v1::Offer offer;
  };
  void read_gps(int64_t now);
  void read_battery(int64_t now);
  void serve_ui(int64_t now, std::vector<HalEvent>& events);
  void on_ui_line(const std::string& line, std::vector<HalEvent>& events);
  void resolve(const std::string& offer_id, bool accept, const std::string& why);
  CommandReply offer(const v1::Command& command);
  CommandReply cancel(const v1::Command& command);
  Counter& offers(const char* answer);

  BoardHalOptions options_;
  Clock& clock_;
  Counter& bad_lines_;
  MetricsRegistry& metrics_;
  Counter& ui_bad_lines_;
  std::unique_ptr<OfferDesk> desk_;  // null without offer_socket_path
  std::vector<PendingOffer> pending_;
  std::vector<DeferredReply> replies_;
  std::vector<std::string> carried_;
  std::vector<std::string> ui_lines_;
  int64_t next_ui_warn_ms_ = 0;
  LineSource gps_;
  nmea::GpsTracker tracker_;
  bool had_fix_ = false;
  bool wants_orders_ = true;
  int64_t next_battery_ms_ = 0;
  std::optional<uint32_t> battery_pct_;
  int64_t next_warn_ms_ = 0;
};

class BoardEncoder final : public DeviceHal {
 public:
  BoardEncoder(const BoardHalOptions& options, Clock& clock, Counter& bad_lines);
  // Interface: DeviceHal
  v1::DeviceKind kind() const override { return v1::DEVICE_KIND_ENCODER; }
  void poll(std::vector<HalEvent>& events) override;
  v1::Status status() const override;
  bool significant_change(const v1::Status& last_sent, const v1::Status& now) const override;
  CommandReply execute(const v1::Command& command, std::vector<HalEvent>& events) override;

 private:
  void on_block(const ffmpeg::Progress& block, std::vector<HalEvent>& events);

  BoardHalOptions options_;
  Clock& clock_;
  Counter& bad_lines_;
  LineSource progress_;
  ffmpeg::ProgressParser parser_;
  v1::EncoderState state_ = v1::ENCODER_STATE_IDLE;
  ffmpeg::Progress last_;
  int64_t last_block_ms_ = 0;
  uint64_t drops_reported_ = 0;
  int64_t next_warn_ms_ = 0;
};

}  // namespace tidewire::firmware::board

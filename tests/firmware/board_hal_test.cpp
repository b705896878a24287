// Board HALs against fake sysfs trees, an NMEA file and an ffmpeg progress file.
#include "board/board_hal.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "board/line_source.hpp"

namespace tidewire::firmware::board {
namespace {

namespace fs = std::filesystem;

class BoardHalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = fs::temp_directory_path() / ("tw-board-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root);
    fs::create_directories(root);
    options.thermal_dir = (root / "thermal").string();
    options.backlight_dir = (root / "backlight").string();
    options.power_supply_dir = (root / "power_supply").string();
    options.storage_path = root.string();
    options.gps_path = (root / "gps.nmea").string();
    options.progress_path = (root / "progress").string();
  }
  void TearDown() override { fs::remove_all(root); }

  void write(const std::string& rel, const std::string& text, bool append = false) {
    fs::path p = root / rel;
    fs::create_directories(p.parent_path());
    std::ofstream out(p, append ? std::ios::app : std::ios::trunc);
    out << text;
  }
  std::string read(const std::string& rel) {
    std::ifstream in(root / rel);
    std::string s;
    std::getline(in, s);
    return s;
  }
  DeviceHalPtr make(v1::DeviceKind kind) { return make_board_hal(kind, options, clock, metrics); }
  std::vector<HalEvent> poll(DeviceHal& hal, int64_t advance_ms = 100) {
    clock.advance_ms(advance_ms);
    std::vector<HalEvent> events;
    hal.poll(events);
    return events;
  }
  CommandReply command(DeviceHal& hal, const std::string& name, std::map<std::string, std::string> args = {}) {
    v1::Command c;
    c.set_command_id("c");
    c.set_name(name);
    for (const auto& [k, v] : args) (*c.mutable_args())[k] = v;
    std::vector<HalEvent> events;
    return hal.execute(c, events);
  }

  fs::path root;
  BoardHalOptions options;
  ManualClock clock;
  MetricsRegistry metrics;
};

TEST_F(BoardHalTest, PosterReadsTheHottestZoneStorageAndBacklight) {
  write("thermal/thermal_zone0/temp", "45000\n");
  write("thermal/thermal_zone1/temp", "81500\n");
  write("thermal/thermal_zone2/temp", "garbage\n");
  write("thermal/cooling_device0/temp", "99000\n");  // not a zone
  write("backlight/panel/brightness", "128\n");
  write("backlight/panel/max_brightness", "255\n");
  auto hal = make(v1::DEVICE_KIND_POSTER);
  auto events = poll(*hal);
  auto s = hal->status().poster();
  EXPECT_NEAR(s.temperature_c(), 81.5, 1e-3);
  EXPECT_GT(s.free_storage_bytes(), 0u);
  EXPECT_EQ(s.brightness_pct(), 50u);
  EXPECT_TRUE(s.display_on());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "temperature.high");
  EXPECT_EQ(events[0].priority, v1::PRIORITY_HIGH);

  // Sysfs is re-read only every sysfs_period_ms; cooling below 70 C reports once.
  write("thermal/thermal_zone1/temp", "60000\n");
  EXPECT_TRUE(poll(*hal).empty());
  events = poll(*hal, options.sysfs_period_ms);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "temperature.normal");
  EXPECT_NEAR(hal->status().poster().temperature_c(), 60.0, 1e-3);
}

TEST_F(BoardHalTest, PosterSetBrightnessWritesTheBacklight) {
  write("backlight/panel/brightness", "255\n");
  write("backlight/panel/max_brightness", "255\n");
  auto hal = make(v1::DEVICE_KIND_POSTER);
  EXPECT_EQ(command(*hal, "set_brightness", {{"pct", "20"}}).outcome, v1::COMMAND_OUTCOME_OK);
  EXPECT_EQ(read("backlight/panel/brightness"), "51");
  EXPECT_EQ(command(*hal, "set_brightness", {{"pct", "x"}}).outcome, v1::COMMAND_OUTCOME_FAILED);
  EXPECT_EQ(command(*hal, "show_creative").outcome, v1::COMMAND_OUTCOME_UNSUPPORTED);
  poll(*hal);
  EXPECT_EQ(hal->status().poster().brightness_pct(), 20u);
}

TEST_F(BoardHalTest, PosterWithoutSysfsStillReports) {
  auto hal = make(v1::DEVICE_KIND_POSTER);
  EXPECT_TRUE(poll(*hal).empty());
  EXPECT_EQ(hal->status().poster().temperature_c(), 0.0f);
  EXPECT_EQ(command(*hal, "set_brightness", {{"pct", "20"}}).outcome, v1::COMMAND_OUTCOME_FAILED);
}

TEST_F(BoardHalTest, RiderFollowsAnNmeaFileAndCountsGarbage) {
  write("power_supply/AC/type", "Mains\n");
  write("power_supply/BAT0/type", "Battery\n");
  write("power_supply/BAT0/capacity", "42\n");
  write("gps.nmea",
        "$GPRMC,083559.00,V,,,,,,,211126,,,N*78\r\n"
        "noise from the serial line\r\n"
        "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6B\r\n");  // bad checksum
  auto hal = make(v1::DEVICE_KIND_RIDER);
  auto events = poll(*hal);
  EXPECT_TRUE(events.empty());
  EXPECT_FALSE(hal->status().rider().available());  // no fix yet
  EXPECT_EQ(hal->status().rider().battery_pct(), 42u);
  EXPECT_EQ(metrics.counter_value("tw_agent_hal_bad_lines_total", {{"source", "nmea"}}), 2u);

  // Lines appended later are picked up, a partial line only once it is complete.
  write("gps.nmea",
        "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n"
        "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n$GPRMC,12",
        true);
  events = poll(*hal);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "gps.fix_acquired");
  auto r = hal->status().rider();
  EXPECT_NEAR(r.lat(), 48.1173, 1e-4);
  EXPECT_NEAR(r.lon(), 11.516667, 1e-4);
  EXPECT_NEAR(r.speed_mps(), 11.52, 0.01);
  EXPECT_NEAR(r.accuracy_m(), 4.5, 1e-4);
  EXPECT_TRUE(r.available());
  write("gps.nmea", "3519,V,,,,,,,230394,,,N*51\r\n", true);
  events = poll(*hal);
  ASSERT_EQ(events.size(), 1u) << "partial line not completed";
  EXPECT_EQ(events[0].type, "gps.fix_lost");

  EXPECT_EQ(command(*hal, "set_available", {{"available", "false"}}).outcome, v1::COMMAND_OUTCOME_OK);
  EXPECT_EQ(command(*hal, "set_available", {{"available", "nah"}}).outcome, v1::COMMAND_OUTCOME_FAILED);
}

TEST_F(BoardHalTest, RiderWithoutAGpsDoesNotStall) {
  auto hal = make(v1::DEVICE_KIND_RIDER);
  EXPECT_TRUE(poll(*hal).empty());
  EXPECT_EQ(hal->status().rider().lat(), 0.0);
  // The GPS appears later: found on a retry, without a restart.
  write("gps.nmea", "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\n");
  EXPECT_TRUE(poll(*hal, 100).empty());  // before the reopen delay
  auto events = poll(*hal, 6000);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "gps.fix_acquired");
}

TEST_F(BoardHalTest, EncoderTracksFfmpegProgress) {
  write("progress", "");  // ffmpeg -progress creates it; the HAL follows it like tail -f
  auto hal = make(v1::DEVICE_KIND_ENCODER);
  EXPECT_TRUE(poll(*hal).empty());
  EXPECT_EQ(hal->status().encoder().state(), v1::ENCODER_STATE_IDLE);

  write("progress",
        "frame=300\nfps=30.00\nbitrate=3000.0kbits/s\ndrop_frames=0\nout_time_us=10000000\nprogress=continue\n");
  auto events = poll(*hal);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "stream.started");
  auto e = hal->status().encoder();
  EXPECT_EQ(e.state(), v1::ENCODER_STATE_LIVE);
  EXPECT_EQ(e.bitrate_kbps(), 3000u);
  EXPECT_FLOAT_EQ(e.fps(), 30.0f);
  EXPECT_EQ(e.uptime_s(), 10u);

  write("progress", "frame=315\nfps=oops\nfps=15.0\nbitrate=2500kbits/s\ndrop_frames=45\nprogress=continue\n", true);
  events = poll(*hal);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "frames.dropped");
  EXPECT_EQ(events[0].attributes.at("count"), "45");
  EXPECT_EQ(hal->status().encoder().dropped_frames(), 45u);
  EXPECT_EQ(metrics.counter_value("tw_agent_hal_bad_lines_total", {{"source", "ffmpeg_progress"}}), 1u);

  // ffmpeg goes silent without progress=end: the stream failed.
  events = poll(*hal, options.stream_stale_ms);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "stream.failed");
  EXPECT_EQ(hal->status().encoder().state(), v1::ENCODER_STATE_FAILED);

  // A new run starts and ends cleanly.
  write("progress", "frame=1\ndrop_frames=0\nprogress=continue\nframe=2\nprogress=end\n", true);
  events = poll(*hal);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "stream.started");
  EXPECT_EQ(events[1].type, "stream.stopped");
  EXPECT_EQ(hal->status().encoder().state(), v1::ENCODER_STATE_IDLE);
  EXPECT_EQ(command(*hal, "start_stream").outcome, v1::COMMAND_OUTCOME_UNSUPPORTED);
}

TEST_F(BoardHalTest, LineSourceSkipsOverlongLines) {
  write("lines", std::string(600, 'x') + "\nshort\n" + std::string(2000, 'y') + "\nlast\n");
  LineSource src((root / "lines").string(), 512);
  std::vector<std::string> lines;
  ASSERT_TRUE(src.read([&](std::string_view l) { lines.emplace_back(l); }, 0).ok());
  EXPECT_EQ(lines, (std::vector<std::string>{"short", "last"}));
  EXPECT_EQ(src.overlong_lines(), 2u);
  LineSource missing((root / "missing").string());
  EXPECT_FALSE(missing.read([](std::string_view) {}, 0).ok());
  EXPECT_TRUE(missing.read([](std::string_view) {}, 10'000).ok());  // reported once, then retried quietly
}

}  // namespace
}  // namespace tidewire::firmware::board

// Board HALs against fake sysfs trees, an NMEA file and an ffmpeg progress file.
#include "board/board_hal.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "board/line_source.hpp"
#include "tidewire/firmware/offer.hpp"
#include "tidewire/protocols/codec.hpp"

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

// A stand-in for the rider's UI process: a client of the offer socket, reading with a
// deadline (never a sleep).
class UiClient {
 public:
  explicit UiClient(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~UiClient() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool connected() const { return connected_; }
  void say(const std::string& line) {
    std::string l = line + "\n";
    ASSERT_EQ(::send(fd_, l.data(), l.size(), MSG_NOSIGNAL), static_cast<ssize_t>(l.size()));
  }
  // The next line from the agent; empty after the 2 s receive deadline.
  std::string hear() {
    for (;;) {
      auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      char b[1024];
      ssize_t n = ::recv(fd_, b, sizeof b, 0);
      if (n <= 0) return "";
      buf_.append(b, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

class BoardOfferTest : public BoardHalTest {
 protected:
  void SetUp() override {
    BoardHalTest::SetUp();
    // Unix socket paths are short (108 bytes): not under the long test directory.
    socket_path = "/tmp/tw-offer-" + std::to_string(::getpid()) + ".sock";
    options.offer_socket_path = socket_path;
    write("gps.nmea", "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\n");
  }
  void TearDown() override {
    ::unlink(socket_path.c_str());
    BoardHalTest::TearDown();
  }
  v1::Command offer_command(const std::string& offer_id, int64_t expires_ms) {
    v1::Offer o;
    o.set_offer_id(offer_id);
    o.set_rider_id("rider-7");
    o.set_expires_ms(expires_ms);
    auto* leg = o.add_legs();
    leg->set_order_id("o-1");
    leg->set_merchant_name("Noodle \"Bar\"");
    leg->set_pickup_lat(48.12);
    leg->set_pickup_lon(11.52);
    leg->set_dropoff_lat(48.13);
    leg->set_dropoff_lon(11.53);
    v1::Command c;
    c.set_command_id("cmd-" + offer_id);
    c.set_name(offer::kOfferCommand);
    c.set_deadline_ms(expires_ms);
    c.set_body(codec::encode(o));
    return c;
  }
  // Polls the HAL until a deferred reply comes back or 2 s of real time pass.
  std::vector<DeferredReply> replies(DeviceHal& hal, std::vector<HalEvent>* events = nullptr) {
    std::vector<DeferredReply> out;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (out.empty() && std::chrono::steady_clock::now() < deadline) {
      auto e = poll(hal, 1);
      if (events) events->insert(events->end(), e.begin(), e.end());
      hal.take_deferred_replies(out);
    }
    return out;
  }
  std::string socket_path;
};

TEST_F(BoardOfferTest, AnOfferGoesToTheUiAndItsAnswerComesBackAsTheReply) {
  auto hal = make(v1::DEVICE_KIND_RIDER);
  poll(*hal);  // listens
  UiClient ui(socket_path);
  ASSERT_TRUE(ui.connected());
  poll(*hal);  // accepts the UI
  std::vector<HalEvent> events;
  int64_t expires = clock.wall_ms() + 30'000;
  auto reply = hal->execute(offer_command("of-1", expires), events);
  EXPECT_TRUE(reply.deferred);
  std::string shown = ui.hear();
  EXPECT_NE(shown.find("\"offer_id\":\"of-1\""), std::string::npos) << shown;
  EXPECT_NE(shown.find("\"order_id\":\"o-1\""), std::string::npos) << shown;
  EXPECT_NE(shown.find("Noodle \\\"Bar\\\""), std::string::npos) << shown;
  EXPECT_NE(shown.find("\"expires_ms\":" + std::to_string(expires)), std::string::npos) << shown;

  ui.say("accept of-1");
  auto got = replies(*hal);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].command_id, "cmd-of-1");
  EXPECT_EQ(got[0].reply.outcome, v1::COMMAND_OUTCOME_OK);
  v1::OfferAnswer answer;
  ASSERT_TRUE(answer.ParseFromString(got[0].reply.body));
  EXPECT_EQ(answer.offer_id(), "of-1");
  EXPECT_EQ(answer.rider_id(), "rider-7");
  EXPECT_TRUE(answer.accept());
  auto status = hal->status().rider();
  ASSERT_EQ(status.carried_order_ids_size(), 1);
  EXPECT_FALSE(status.available());

  // Pickup and delivery come from the UI, at the GPS position.
  ui.say("picked_up o-1");
  ui.say("delivered o-1");
  ui.say("delivered o-unknown");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (events.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    auto e = poll(*hal, 1);
    events.insert(events.end(), e.begin(), e.end());
  }
  std::vector<HalEvent> reports;
  for (const auto& e : events)
    if (e.type.rfind("order.", 0) == 0) reports.push_back(e);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].type, offer::kPickedUp);
  EXPECT_EQ(reports[1].type, offer::kDelivered);
  EXPECT_EQ(reports[0].attributes.at("order_id"), "o-1");
  EXPECT_NEAR(std::stod(reports[0].attributes.at("lat")), 48.1173, 1e-3);
  EXPECT_NEAR(std::stod(reports[0].attributes.at("lon")), 11.5167, 1e-3);
  EXPECT_EQ(hal->status().rider().carried_order_ids_size(), 0);
  EXPECT_NE(ui.hear().find("error"), std::string::npos);  // about o-unknown
  EXPECT_EQ(metrics.counter_value("tw_agent_hal_bad_lines_total", {{"source", "offer_ui"}}), 1u);
  EXPECT_EQ(metrics.counter_value("tw_agent_offers_total", {{"answer", "accepted"}}), 1u);
}

TEST_F(BoardOfferTest, WithoutAUiAnOfferIsDeclinedAtOnceAndAMalformedOneFails) {
  auto hal = make(v1::DEVICE_KIND_RIDER);
  poll(*hal);
  std::vector<HalEvent> events;
  auto reply = hal->execute(offer_command("of-1", clock.wall_ms() + 30'000), events);
  EXPECT_FALSE(reply.deferred);
  v1::OfferAnswer answer;
  ASSERT_TRUE(answer.ParseFromString(reply.body));
  EXPECT_FALSE(answer.accept());
  EXPECT_EQ(reply.message, "no offer UI connected");

  auto bad = offer_command("of-2", 0);
  bad.set_body("\xff\xfe");
  reply = hal->execute(bad, events);
  EXPECT_EQ(reply.outcome, v1::COMMAND_OUTCOME_FAILED);
  EXPECT_EQ(metrics.counter_value("tw_agent_offers_total", {{"answer", "malformed"}}), 1u);
}

TEST_F(BoardOfferTest, AnUnansweredOfferIsWithdrawnAtExpiryAndADisconnectDeclines) {
  auto hal = make(v1::DEVICE_KIND_RIDER);
  poll(*hal);
  UiClient ui(socket_path);
  poll(*hal);
  std::vector<HalEvent> events;
  ASSERT_TRUE(hal->execute(offer_command("of-1", clock.wall_ms() + 5'000), events).deferred);
  EXPECT_NE(ui.hear().find("of-1"), std::string::npos);
  poll(*hal, 6'000);
  EXPECT_EQ(ui.hear(), "{\"withdrawn\":\"of-1\"}");
  std::vector<DeferredReply> none;
  hal->take_deferred_replies(none);
  EXPECT_TRUE(none.empty());  // the session answers EXPIRED itself
  ui.say("accept of-1");      // too late: refused
  poll(*hal);
  EXPECT_NE(ui.hear().find("error"), std::string::npos);

  ASSERT_TRUE(hal->execute(offer_command("of-2", clock.wall_ms() + 30'000), events).deferred);
  EXPECT_NE(ui.hear().find("of-2"), std::string::npos);
  ui.close();
  auto got = replies(*hal);
  ASSERT_EQ(got.size(), 1u);
  v1::OfferAnswer answer;
  ASSERT_TRUE(answer.ParseFromString(got[0].reply.body));
  EXPECT_FALSE(answer.accept());
  EXPECT_EQ(got[0].reply.message, "offer UI disconnected");
}

}  // namespace
}  // namespace tidewire::firmware::board

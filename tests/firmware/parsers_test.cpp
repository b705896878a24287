// NMEA and ffmpeg-progress parsing: good lines, and the garbage real devices send.
#include <gtest/gtest.h>

#include "tidewire/firmware/ffmpeg_progress.hpp"
#include "tidewire/firmware/nmea.hpp"

namespace tidewire::firmware {
namespace {

// Wraps a sentence body with '$' and its correct checksum.
std::string sentence(const std::string& body) {
  char sum[4];
  std::snprintf(sum, sizeof sum, "%02X", nmea::checksum(body));
  return "$" + body + "*" + sum;
}

TEST(Nmea, ParsesTheTextbookRmc) {
  auto s = nmea::parse("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n");
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(s->talker, "GP");
  ASSERT_TRUE(s->rmc.has_value());
  EXPECT_TRUE(s->rmc->active);
  ASSERT_TRUE(s->rmc->position.has_value());
  EXPECT_NEAR(s->rmc->position->lat_deg, 48.1173, 1e-4);
  EXPECT_NEAR(s->rmc->position->lon_deg, 11.516667, 1e-4);
  EXPECT_NEAR(s->rmc->speed_mps, 22.4 * 0.514444, 1e-3);
  EXPECT_NEAR(*s->rmc->course_deg, 84.4, 1e-9);
}

TEST(Nmea, ParsesTheTextbookGga) {
  auto s = nmea::parse("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47");
  ASSERT_TRUE(s.ok()) << s.error().describe();
  ASSERT_TRUE(s->gga.has_value());
  EXPECT_EQ(s->gga->quality, 1);
  EXPECT_EQ(s->gga->satellites, 8);
  EXPECT_NEAR(*s->gga->hdop, 0.9, 1e-9);
}

TEST(Nmea, SouthAndWestAreNegativeAndAnyTalkerIsAccepted) {
  auto s = nmea::parse(sentence("GNRMC,083559.00,A,3352.128,S,15112.558,W,0.0,,211126,,,A"));
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(s->talker, "GN");
  EXPECT_NEAR(s->rmc->position->lat_deg, -(33 + 52.128 / 60), 1e-6);
  EXPECT_NEAR(s->rmc->position->lon_deg, -(151 + 12.558 / 60), 1e-6);
  EXPECT_FALSE(s->rmc->course_deg.has_value());
}

TEST(Nmea, AVoidFixHasNoPosition) {
  auto s = nmea::parse("$GPRMC,083559.00,V,,,,,,,211126,,,N*78");
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_FALSE(s->rmc->active);
  EXPECT_FALSE(s->rmc->position.has_value());
}

TEST(Nmea, OtherSentencesParseButCarryNothing) {
  auto s = nmea::parse("$GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00*74");
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(s->type, "GSV");
  EXPECT_FALSE(s->rmc || s->gga);
}

TEST(Nmea, RefusesBadLines) {
  const std::string good = "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A";
  const std::vector<std::string> bad = {
      "",
      "GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A",         // no '$'
      "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6B",        // wrong checksum
      "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W",           // no checksum
      "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*G1",        // not hex
      "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4*6A",                       // truncated
      sentence("GPRMC,123519,A,4807.038,X,01131.000,E,022.4,084.4,230394,003.1,W"),  // hemisphere
      sentence("GPRMC,123519,A,4870.000,N,01131.000,E,022.4,084.4,230394,003.1,W"),  // 70 minutes
      sentence("GPRMC,123519,A,9107.038,N,01131.000,E,022.4,084.4,230394,003.1,W"),  // lat > 90
      sentence("GPRMC,123519,A,4807.038,N,18131.000,E,022.4,084.4,230394,003.1,W"),  // lon > 180
      sentence("GPRMC,123519,A,48x7.038,N,01131.000,E,022.4,084.4,230394,003.1,W"),  // not a number
      sentence("GPRMC,123519,Q,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W"),  // status
      sentence("GPRMC,123519,A,,,,,022.4,084.4,230394,003.1,W"),                     // active, no position
      sentence("GPRMC,123519,A,4807.038,N,01131.000,E,-1,084.4,230394,003.1,W"),     // negative speed
      sentence("GPGGA,123519,4807.038,N,01131.000,E,x,08,0.9,545.4,M,46.9,M,,"),     // quality
      sentence("GPGGA,123519,4807.038,N,,,1,08,0.9,545.4,M,46.9,M,,"),               // lat without lon
      sentence("GPRM,1"),                                                            // address length
      "$" + std::string(200, 'A') + "*00",                                           // overlong
      std::string("$GPRMC,\x01,A*00"),                                               // control byte
  };
  ASSERT_TRUE(nmea::parse(good).ok());
  for (const auto& line : bad) {
    auto s = nmea::parse(line);
    EXPECT_FALSE(s.ok()) << "accepted: " << line;
    if (!s.ok()) {
      EXPECT_EQ(s.error().code, ErrorCode::kMalformed);
    }
  }
}

TEST(GpsTracker, FoldsRmcAndGgaIntoAFixAndKeepsItOnGarbage) {
  nmea::GpsTracker t;
  EXPECT_FALSE(t.fix().valid);
  ASSERT_TRUE(t.feed("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A").ok());
  ASSERT_TRUE(t.feed("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47").ok());
  EXPECT_TRUE(t.fix().valid);
  EXPECT_NEAR(t.fix().lat_deg, 48.1173, 1e-4);
  EXPECT_NEAR(t.fix().heading_deg, 84.4, 1e-9);
  EXPECT_NEAR(t.fix().accuracy_m, 4.5, 1e-9);
  EXPECT_FALSE(t.feed("$GPRMC,garbage*00").ok());
  EXPECT_TRUE(t.fix().valid);
  EXPECT_NEAR(t.fix().lat_deg, 48.1173, 1e-4);
  ASSERT_TRUE(t.feed("$GPRMC,083559.00,V,,,,,,,211126,,,N*78").ok());
  EXPECT_FALSE(t.fix().valid);
  EXPECT_EQ(t.accepted(), 3u);
  EXPECT_EQ(t.rejected(), 1u);
}

std::vector<ffmpeg::Progress> feed_all(ffmpeg::ProgressParser& p, const std::vector<std::string>& lines,
                                       int* errors = nullptr) {
  std::vector<ffmpeg::Progress> out;
  for (const auto& l : lines) {
    auto r = p.feed(l);
    if (!r) {
      if (errors) ++*errors;
      continue;
    }
    if (*r) out.push_back(**r);
  }
  return out;
}

TEST(FfmpegProgress, ParsesBlocks) {
  ffmpeg::ProgressParser p;
  auto blocks =
      feed_all(p, {"frame=1200", "fps=29.97", "stream_0_0_q=28.0", "bitrate=2000.5kbits/s", "total_size=10000000",
                   "out_time_us=40040000", "out_time_ms=40040000", "out_time=00:00:40.040000", "dup_frames=1",
                   "drop_frames=3", "speed=1.00x", "progress=continue", "frame=1230", "fps=30.00", "bitrate=N/A",
                   "drop_frames=4", "progress=end"});
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].frame, 1200u);
  EXPECT_NEAR(blocks[0].fps, 29.97, 1e-9);
  ASSERT_TRUE(blocks[0].bitrate_kbps.has_value());
  EXPECT_NEAR(*blocks[0].bitrate_kbps, 2000.5, 1e-9);
  EXPECT_EQ(blocks[0].drop_frames, 3u);
  EXPECT_EQ(blocks[0].dup_frames, 1u);
  EXPECT_EQ(blocks[0].out_time_us, 40'040'000);
  EXPECT_FALSE(blocks[0].end);
  EXPECT_EQ(blocks[1].frame, 1230u);
  EXPECT_FALSE(blocks[1].bitrate_kbps.has_value());
  EXPECT_TRUE(blocks[1].end);
}

TEST(FfmpegProgress, BadLinesAreRefusedAndTheBlockGoesOn) {
  ffmpeg::ProgressParser p;
  int errors = 0;
  auto blocks = feed_all(
      p,
      {"frame=12", "no equals sign", "=value", "fps=fast", "bitrate=12Mbit", "drop_frames=-3",
       "frame=", std::string(300, 'x') + "=1", "progress=maybe", "unknown_key=whatever", "", "progress=continue"},
      &errors);
  EXPECT_EQ(errors, 8);
  EXPECT_EQ(p.rejected(), 8u);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].frame, 12u);  // "frame=" did not clobber the good value
  EXPECT_EQ(blocks[0].drop_frames, 0u);
}

}  // namespace
}  // namespace tidewire::firmware

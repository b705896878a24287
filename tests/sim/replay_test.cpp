// One replay through a real local stack (two mosquitto brokers, tidewire-cloud and
// tidewire-edge as processes, virtual rider terminals over MQTT) on a 60x clock.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tidewire/sim/replay.hpp"

namespace tidewire::sim {
namespace {

namespace fs = std::filesystem;

std::string field(const std::string& json, const std::string& key) {
  auto at = json.find("\"" + key + "\": ");
  if (at == std::string::npos) return "<missing>";
  at += key.size() + 4;
  return json.substr(at, json.find_first_of(",\n}", at) - at);
}

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("tw-replay-" + std::to_string(::getpid()))).string();
    fs::create_directories(dir_);
    // Ten orders in ten minutes of the day from two merchants, four riders on shift.
    std::ofstream orders(dir_ + "/orders.csv");
    orders << "order_id,placed_s,ready_s,pickup_lat,pickup_lon,dropoff_lat,dropoff_lon\n";
    for (int i = 0; i < 10; ++i) {
      int placed = 36'000 + i * 60;
      bool east = i % 2 == 0;
      orders << "t-" << i << "," << placed << "," << placed + 300 << "," << (east ? "31.2304,121.4800" : "31.2250,121.4650")
             << "," << 31.2304 + 0.004 * (i % 3) << "," << 121.4737 + 0.004 * (i % 4) << "\n";
    }
    std::ofstream riders(dir_ + "/riders.csv");
    riders << "rider_id,lat,lon,on_s,off_s\n";
    for (int i = 0; i < 4; ++i) riders << "r-" << i << ",31.23" << i << ",121.47" << i << ",30000,50000\n";
  }
  void TearDown() override {
    std::error_code ec;
    if (!HasFailure()) fs::remove_all(dir_, ec);
  }

  ReplayOptions options() const {
    ReplayOptions o;
    o.orders_csv = dir_ + "/orders.csv";
    o.riders_csv = dir_ + "/riders.csv";
    o.run_dir = dir_ + "/run";
    o.time_scale = 60;
    o.service_s = 60;
    o.accept_probability = 1.0;
    if (const char* bin = std::getenv("TW_BIN_DIR")) o.bin_dir = bin;
    return o;
  }

  std::string dir_;
};

TEST_F(ReplayTest, BatchPolicyDeliversEveryOrderOfTheDayNoFasterThanTheLowerBound) {
  ReplayOptions o = options();
  o.policy = "batch";
  auto json = run_replay(o);
  ASSERT_TRUE(json.ok()) << json.error().describe();
  EXPECT_EQ(field(*json, "orders_placed"), "10") << *json;
  EXPECT_EQ(field(*json, "orders_delivered"), "10") << *json;
  EXPECT_EQ(field(*json, "orders_open_at_end"), "0") << *json;
  EXPECT_EQ(field(*json, "replay_ended_by"), "\"all_orders_closed\"") << *json;
  EXPECT_GE(std::stod(field(*json, "lower_bound_ratio")), 1.0) << *json;
  EXPECT_GT(std::stod(field(*json, "rider_utilisation")), 0.0) << *json;
  EXPECT_EQ(field(*json, "offers_declined"), "0") << *json;  // riders accept everything here
}

TEST_F(ReplayTest, OptionsThatCannotWorkAreRefusedBeforeAnythingStarts) {
  ReplayOptions o = options();
  o.cloud_url = "http://127.0.0.1:1";
  o.site_port = 1;  // never reached: refused first
  auto r = run_replay(o);  // a running stack keeps real time: scale 60 is refused
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("--time-scale 1"), std::string::npos) << r.error().message;

  o = options();
  o.from_s = 80'000;  // no order in the window
  r = run_replay(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no order"), std::string::npos) << r.error().message;

  o = options();
  o.policy = "fastest";
  EXPECT_FALSE(run_replay(o).ok());
}

}  // namespace
}  // namespace tidewire::sim

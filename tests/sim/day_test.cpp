#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tidewire/sim/day.hpp"

namespace tidewire::sim {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("tw-day-" + std::to_string(::getpid()) + "-" + name)).string();
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(GenerateDay, TheSameSeedGivesTheSameDayAndAnotherSeedAnother) {
  DayOptions o;
  o.orders = 300;
  o.riders = 30;
  Day a = generate_day(o), b = generate_day(o);
  ASSERT_EQ(a.orders.size(), 300u);
  ASSERT_EQ(a.riders.size(), 30u);
  for (size_t i = 0; i < a.orders.size(); ++i) {
    EXPECT_EQ(a.orders[i].placed_s, b.orders[i].placed_s);
    EXPECT_EQ(a.orders[i].dropoff_lat, b.orders[i].dropoff_lat);
  }
  o.seed = 2;
  Day c = generate_day(o);
  size_t same = 0;
  for (size_t i = 0; i < a.orders.size(); ++i) same += a.orders[i].placed_s == c.orders[i].placed_s;
  EXPECT_LT(same, a.orders.size() / 2);
}

TEST(GenerateDay, OrdersPeakAtLunchAndDinnerAndStayWithinOpeningHours) {
  DayOptions o;
  o.orders = 5'000;
  Day day = generate_day(o);
  size_t lunch = 0, dinner = 0, afternoon = 0;
  for (const auto& order : day.orders) {
    EXPECT_GE(order.placed_s, 9 * 3600);
    EXPECT_LT(order.placed_s, 23 * 3600);
    EXPECT_GE(order.ready_s - order.placed_s, 8 * 60);
    EXPECT_LE(order.ready_s - order.placed_s, 20 * 60);
    int64_t h = order.placed_s / 3600;
    lunch += h == 12;
    dinner += h == 18;
    afternoon += h == 15;
  }
  // Peaks: each peak hour carries several times the afternoon lull.
  EXPECT_GT(lunch, 3 * afternoon);
  EXPECT_GT(dinner, 3 * afternoon);
  for (size_t i = 1; i < day.orders.size(); ++i) EXPECT_LE(day.orders[i - 1].placed_s, day.orders[i].placed_s);
}

TEST(DayCsv, WrittenFilesReadBackTheSame) {
  DayOptions o;
  o.orders = 50;
  o.riders = 7;
  Day day = generate_day(o);
  std::string orders = temp_path("orders.csv"), riders = temp_path("riders.csv");
  ASSERT_TRUE(write_orders_csv(orders, day.orders).ok());
  ASSERT_TRUE(write_riders_csv(riders, day.riders).ok());
  auto back_orders = read_orders_csv(orders);
  auto back_riders = read_riders_csv(riders);
  ASSERT_TRUE(back_orders.ok()) << back_orders.error().message;
  ASSERT_TRUE(back_riders.ok()) << back_riders.error().message;
  ASSERT_EQ(back_orders->size(), 50u);
  ASSERT_EQ(back_riders->size(), 7u);
  EXPECT_EQ((*back_orders)[10].id, day.orders[10].id);
  EXPECT_EQ((*back_orders)[10].ready_s, day.orders[10].ready_s);
  EXPECT_NEAR((*back_orders)[10].dropoff_lon, day.orders[10].dropoff_lon, 1e-6);
  EXPECT_EQ((*back_riders)[3].off_s, day.riders[3].off_s);
  std::remove(orders.c_str());
  std::remove(riders.c_str());
}

struct BadRow {
  const char* text;
  const char* expected;  // part of the error message
};

TEST(DayCsv, BadOrderRowsAreRefusedNamingTheLine) {
  const std::string header = "order_id,placed_s,ready_s,pickup_lat,pickup_lon,dropoff_lat,dropoff_lon\n";
  for (BadRow bad : {BadRow{"o1,100,50,31.2,121.4,31.21,121.41\n", "ready_s is before placed_s"},
                     BadRow{"o1,100,200,91,121.4,31.21,121.41\n", "pickup is not a valid"},
                     BadRow{"o1,100,200,31.2,121.4,31.21\n", "6 fields, expected 7"},
                     BadRow{"o1,abc,200,31.2,121.4,31.21,121.41\n", "placed_s"},
                     BadRow{"o 1,100,200,31.2,121.4,31.21,121.41\n", "order_id"},
                     BadRow{"o1,100,200,31.2,121.4,31.21,121.41\no1,100,200,31.2,121.4,31.21,121.41\n", "repeats"}}) {
    std::string path = temp_path("bad-orders.csv");
    write_file(path, header + bad.text);
    auto r = read_orders_csv(path);
    ASSERT_FALSE(r.ok()) << bad.text;
    EXPECT_NE(r.error().message.find(bad.expected), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(path + ":"), std::string::npos) << r.error().message;
    std::remove(path.c_str());
  }
}

TEST(DayCsv, AWrongHeaderOrAMissingFileIsRefused) {
  std::string path = temp_path("hdr.csv");
  write_file(path, "rider,lat,lon,on,off\nr1,31,121,0,10\n");
  auto r = read_riders_csv(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("header"), std::string::npos);
  write_file(path, "rider_id,lat,lon,on_s,off_s\nr1,31,121,100,100\n");
  r = read_riders_csv(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("off_s must be after on_s"), std::string::npos);
  std::remove(path.c_str());
  EXPECT_FALSE(read_riders_csv(path).ok());
}

// A rider id is the rider terminal's device id, a topic level: no '.' (NATS, RabbitMQ).
TEST(DayCsv, RiderIdsWithADotAreRefusedNamingTheRule) {
  std::string path = temp_path("dotted-riders.csv");
  write_file(path, "rider_id,lat,lon,on_s,off_s\nr.1,31,121,0,100\n");
  auto r = read_riders_csv(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("rider_id 'r.1' must be 1-64 characters of [A-Za-z0-9_-] (no '.'"),
            std::string::npos)
      << r.error().message;
  std::remove(path.c_str());
}

}  // namespace
}  // namespace tidewire::sim

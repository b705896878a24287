// ScaledClock adapts the real clock, so these tests bound its answers by real readings
// taken before and after, rather than asserting exact values.
#include <gtest/gtest.h>

#include <chrono>

#include "tidewire/common/clock.hpp"
#include "tidewire/common/config.hpp"

namespace tidewire {
namespace {

int64_t real_wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

TEST(ScaledClock, ShowsStartPlusScaledRealElapsedTime) {
  const int64_t zero = real_wall_ms() - 1'000;  // the clock started a real second ago
  ScaledClock clock({60.0, 5'000'000, zero});
  int64_t before = real_wall_ms();
  int64_t shown = clock.wall_ms();
  int64_t after = real_wall_ms();
  EXPECT_GE(shown, 5'000'000 + (before - zero) * 60);
  EXPECT_LE(shown, 5'000'000 + (after - zero) * 60);
}

TEST(ScaledClock, SteadyTimeStartsAtTheWallTimeAndAdvancesScaled) {
  ScaledClock clock({100.0, 1'000'000, real_wall_ms()});
  int64_t s1 = clock.steady_ms();
  int64_t w1 = clock.wall_ms();
  EXPECT_NEAR(static_cast<double>(s1), static_cast<double>(w1), 2'000);  // a few real ms apart at most
  int64_t s2 = clock.steady_ms();
  EXPECT_GE(s2, s1);
}

TEST(ScaledClock, RealWaitsAreTheClockWaitDividedByTheScaleRoundedUp) {
  ScaledClock clock({60.0, 0, 1});
  EXPECT_EQ(clock.real_ms(60'000), 1'000);
  EXPECT_EQ(clock.real_ms(61), 2);
  EXPECT_EQ(clock.real_ms(0), 0);
  EXPECT_EQ(clock.real_ms(-5), 0);
  SystemClock real;
  EXPECT_EQ(real.real_ms(1234), 1234);
}

TEST(ScaledClock, ValidationRefusesScalesOutsideOneToTenThousand) {
  EXPECT_FALSE(validate(ScaleOptions{0.5, 0, 0}).ok());
  EXPECT_FALSE(validate(ScaleOptions{20'000, 0, 0}).ok());
  EXPECT_FALSE(validate(ScaleOptions{2, -1, 0}).ok());
  EXPECT_TRUE(validate(ScaleOptions{1, 0, 0}).ok());
  EXPECT_TRUE(validate(ScaleOptions{10'000, 5, 5}).ok());
}

Config clock_config() { return Config("t", "clock options", clock_option_specs()); }

TEST(MakeClock, DefaultsGiveTheRealClock) {
  Config c = clock_config();
  auto clock = make_clock(c);
  ASSERT_TRUE(clock.ok());
  EXPECT_EQ(dynamic_cast<SystemClock*>(clock->get()) != nullptr, true);
}

TEST(MakeClock, ScaleAndStartGiveAScaledClockAtThatStart) {
  Config c = clock_config();
  ASSERT_TRUE(c.set("time-scale", "30", "test").ok());
  ASSERT_TRUE(c.set("time-start-ms", "1000000", "test").ok());
  ASSERT_TRUE(c.set("time-zero-ms", std::to_string(real_wall_ms()), "test").ok());
  auto clock = make_clock(c);
  ASSERT_TRUE(clock.ok());
  auto* scaled = dynamic_cast<ScaledClock*>(clock->get());
  ASSERT_NE(scaled, nullptr);
  EXPECT_EQ(scaled->scale(), 30.0);
  EXPECT_GE((*clock)->wall_ms(), 1'000'000);
  EXPECT_LT((*clock)->wall_ms(), 1'000'000 + 30 * 60'000);  // well under a real minute has passed
}

TEST(MakeClock, ABadScaleIsAnErrorNamingTheOption) {
  Config c = clock_config();
  ASSERT_TRUE(c.set("time-scale", "0", "test").ok());
  auto clock = make_clock(c);
  ASSERT_FALSE(clock.ok());
  EXPECT_NE(clock.error().message.find("time-scale"), std::string::npos);
}

}  // namespace
}  // namespace tidewire

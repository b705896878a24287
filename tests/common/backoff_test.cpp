#include "tidewire/common/backoff.hpp"

#include <gtest/gtest.h>

namespace tidewire {
namespace {

// Returns the top of the range, so the test sees the ceiling of each attempt.
class MaxRandom : public Random {
 public:
  uint64_t uniform(uint64_t, uint64_t hi) override { return hi; }
  double unit() override { return 0.999; }
};

TEST(Backoff, DoublesUpToCapWithFullJitterRange) {
  MaxRandom r;
  Backoff b(100, 1000, r);
  EXPECT_EQ(b.next_delay_ms(), 100);
  EXPECT_EQ(b.next_delay_ms(), 200);
  EXPECT_EQ(b.next_delay_ms(), 400);
  EXPECT_EQ(b.next_delay_ms(), 800);
  EXPECT_EQ(b.next_delay_ms(), 1000);
  EXPECT_EQ(b.next_delay_ms(), 1000);
  b.reset();
  EXPECT_EQ(b.next_delay_ms(), 100);
}

TEST(Backoff, JitterStaysWithinCeiling) {
  SeededRandom r(42);
  Backoff b(100, 1000, r);
  bool below = false;
  for (int i = 0; i < 50; ++i) {
    int64_t d = b.next_delay_ms();
    EXPECT_GE(d, 0);
    EXPECT_LE(d, 1000);
    if (i > 5 && d < 900) below = true;
  }
  EXPECT_TRUE(below) << "full jitter should spread delays below the cap";
}

}  // namespace
}  // namespace tidewire

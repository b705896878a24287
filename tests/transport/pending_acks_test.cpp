#include "transport/platform/mosquitto/pending_acks.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace tidewire::transport {
namespace {

TEST(PendingAcks, TakesWhatWasInsertedOnceAndRefusesBadIds) {
  PendingAcks<int> acks;
  EXPECT_TRUE(acks.insert(7, 70));
  EXPECT_FALSE(acks.insert(7, 71));  // still pending: an ack would be ambiguous
  EXPECT_FALSE(acks.insert(0, 1));
  EXPECT_FALSE(acks.insert(65536, 1));
  int out = 0;
  EXPECT_FALSE(acks.take(8, out));
  ASSERT_TRUE(acks.take(7, out));
  EXPECT_EQ(out, 70);
  EXPECT_FALSE(acks.take(7, out));
  EXPECT_TRUE(acks.empty());
}

TEST(PendingAcks, TakeAllEmptiesTheTable) {
  PendingAcks<int> acks;
  for (int mid = 1; mid <= 100; ++mid) ASSERT_TRUE(acks.insert(mid, mid * 10));
  std::vector<int> all;
  acks.take_all(all);
  EXPECT_EQ(all.size(), 100u);
  EXPECT_EQ(acks.size(), 0u);
  int out = 0;
  EXPECT_FALSE(acks.take(50, out));
  EXPECT_TRUE(acks.insert(50, 1));  // usable again
}

// Sequential ids that wrap at 65535, acked out of order, against a std::map model:
// exercises the probe chains and backward-shift deletion across the wrap.
TEST(PendingAcks, MatchesAMapUnderRandomOutOfOrderAcks) {
  PendingAcks<int> acks;
  std::map<int, int> model;
  std::mt19937 rng(12345);
  int next_mid = 65000;
  for (int step = 0; step < 200'000; ++step) {
    bool can_insert = model.size() < 300;
    if (can_insert && (model.empty() || rng() % 2 == 0)) {
      int mid = next_mid;
      next_mid = next_mid == 65535 ? 1 : next_mid + 1;
      if (model.count(mid)) continue;
      ASSERT_TRUE(acks.insert(mid, step));
      model[mid] = step;
    } else {
      auto it = model.begin();
      std::advance(it, static_cast<long>(rng() % model.size()));
      int out = -1;
      ASSERT_TRUE(acks.take(it->first, out)) << "mid " << it->first;
      EXPECT_EQ(out, it->second);
      model.erase(it);
    }
    ASSERT_EQ(acks.size(), model.size());
  }
  for (const auto& [mid, value] : model) {
    int out = -1;
    ASSERT_TRUE(acks.take(mid, out));
    EXPECT_EQ(out, value);
  }
}

}  // namespace
}  // namespace tidewire::transport

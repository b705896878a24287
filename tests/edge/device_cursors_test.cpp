#include "tidewire/edge/device_cursors.hpp"

#include <gtest/gtest.h>

namespace tidewire::edge {
namespace {

using V = DeviceCursors::Verdict;

class DeviceCursorsTest : public ::testing::Test {
 protected:
  V see(uint64_t seq, uint64_t floor = 0, const std::string& boot = "a") {
    return cursors.observe({"d1", boot}, seq, floor, 1000);
  }
  uint64_t wm(const std::string& boot = "a") const { return cursors.watermark({"d1", boot}); }

  DeviceCursors cursors;
};

TEST_F(DeviceCursorsTest, InOrderAdvances) {
  cursors.begin_group();
  for (uint64_t s = 1; s <= 5; ++s) {
    EXPECT_EQ(see(s), V::kNew);
    EXPECT_EQ(wm(), s);
  }
}

TEST_F(DeviceCursorsTest, OutOfOrderWaitsForTheGap) {
  cursors.begin_group();
  EXPECT_EQ(see(3), V::kNew);
  EXPECT_EQ(wm(), 0u);
  EXPECT_EQ(see(1), V::kNew);
  EXPECT_EQ(wm(), 1u);
  EXPECT_EQ(see(2), V::kNew);
  EXPECT_EQ(wm(), 3u);  // 2 closed the gap up to the already-spooled 3
}

TEST_F(DeviceCursorsTest, FloorClosesGapsTheDeviceGaveUp) {
  cursors.begin_group();
  EXPECT_EQ(see(1, 1), V::kNew);
  EXPECT_EQ(see(4, 1), V::kNew);  // 2 and 3 missing
  EXPECT_EQ(wm(), 1u);
  // The device dropped 2 and 3 from its outbox: its floor is now 4.
  EXPECT_EQ(see(5, 4), V::kNew);
  EXPECT_EQ(wm(), 5u);
}

TEST_F(DeviceCursorsTest, FloorOnADuplicateStillAdvances) {
  cursors.begin_group();
  EXPECT_EQ(see(10, 10), V::kNew);
  EXPECT_EQ(wm(), 10u);
  EXPECT_EQ(see(10, 10), V::kDuplicate);
  EXPECT_EQ(see(12, 12), V::kNew);
  EXPECT_EQ(wm(), 12u);
}

TEST_F(DeviceCursorsTest, DuplicatesAtOrBelowWatermarkAndAboveIt) {
  cursors.begin_group();
  EXPECT_EQ(see(1), V::kNew);
  EXPECT_EQ(see(2), V::kNew);
  EXPECT_EQ(see(2), V::kDuplicate);  // at the watermark
  EXPECT_EQ(see(1), V::kDuplicate);  // below it
  EXPECT_EQ(see(7), V::kNew);
  EXPECT_EQ(see(7), V::kDuplicate);  // above the watermark, already spooled
  EXPECT_EQ(wm(), 2u);
}

TEST_F(DeviceCursorsTest, NewBootHasItsOwnCursor) {
  cursors.begin_group();
  for (uint64_t s = 1; s <= 3; ++s) EXPECT_EQ(see(s, 0, "a"), V::kNew);
  // The device lost its counter: seq restarts under a new boot and must not be mistaken
  // for duplicates of boot "a".
  EXPECT_EQ(see(1, 1, "b"), V::kNew);
  EXPECT_EQ(wm("b"), 1u);
  EXPECT_EQ(wm("a"), 3u);
  // A counter that survived the reboot: the first floor of the new boot starts it high.
  EXPECT_EQ(see(101, 101, "c"), V::kNew);
  EXPECT_EQ(wm("c"), 101u);
}

TEST_F(DeviceCursorsTest, RollbackRestoresTheCommittedState) {
  cursors.begin_group();
  see(1);
  see(2);
  cursors.commit_group();

  cursors.begin_group();
  see(3);
  see(9);
  see(1, 0, "new-boot");
  EXPECT_EQ(cursors.dirty().size(), 2u);
  cursors.rollback_group();
  EXPECT_EQ(wm(), 2u);
  EXPECT_EQ(cursors.size(), 1u);  // the new boot's cursor is gone again
  cursors.begin_group();
  EXPECT_EQ(see(3), V::kNew);  // not a duplicate: it was never committed
  EXPECT_EQ(see(9), V::kNew);
}

TEST_F(DeviceCursorsTest, DirtyListsTheChangedCursors) {
  cursors.begin_group();
  see(1);
  cursors.observe({"d2", "x"}, 4, 0, 1000);
  auto dirty = cursors.dirty();
  ASSERT_EQ(dirty.size(), 2u);
  cursors.commit_group();
  cursors.begin_group();
  EXPECT_TRUE(cursors.dirty().empty());
}

TEST_F(DeviceCursorsTest, OverflowRefusesWhenTooManyWaitAboveAGap) {
  DeviceCursors small(2);
  small.begin_group();
  EXPECT_EQ(small.observe({"d", "b"}, 5, 0, 0), V::kNew);
  EXPECT_EQ(small.observe({"d", "b"}, 6, 0, 0), V::kNew);
  EXPECT_EQ(small.observe({"d", "b"}, 7, 0, 0), V::kOverflow);
  EXPECT_EQ(small.observe({"d", "b"}, 1, 0, 0), V::kNew);  // below the gap still fine
  EXPECT_EQ(small.watermark({"d", "b"}), 1u);
}

TEST_F(DeviceCursorsTest, LoadAndPrune) {
  std::vector<CursorRecord> records;
  records.push_back({{"d1", "a"}, {4, {6, 7}, 100}});
  records.push_back({{"d2", "a"}, {9, {}, 5000}});
  cursors.load(records);
  EXPECT_EQ(wm(), 4u);
  cursors.begin_group();
  EXPECT_EQ(see(6), V::kDuplicate);
  EXPECT_EQ(see(5), V::kNew);
  EXPECT_EQ(wm(), 7u);
  cursors.commit_group();
  // d1 was last touched at 1000, d2 at 5000: only d1 is idle since before 2000.
  EXPECT_EQ(cursors.prune(2000), 1u);
  EXPECT_EQ(wm(), 0u);
  EXPECT_EQ(cursors.watermark({"d2", "a"}), 9u);
}

}  // namespace
}  // namespace tidewire::edge

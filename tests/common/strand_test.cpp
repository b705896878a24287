#include "tidewire/common/strand.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "process/process.hpp"

namespace tidewire {
namespace {

TEST(StrandTest, RefusesDataBeyondItsBoundsButNeverControl) {
  Strand by_count(2, 1 << 20);
  EXPECT_TRUE(by_count.post([] {}, 10));
  EXPECT_TRUE(by_count.post([] {}, 10));
  EXPECT_FALSE(by_count.post([] {}, 10));
  by_count.post_control([] {});
  EXPECT_EQ(by_count.depth(), 3u);

  Strand by_bytes(100, 100);
  EXPECT_TRUE(by_bytes.post([] {}, 60));
  EXPECT_FALSE(by_bytes.post([] {}, 60));
  EXPECT_TRUE(by_bytes.post([] {}, 40));
}

TEST(StrandTest, RunsTasksInOrderOnItsOwnThreadAndStops) {
  SystemClock clock;
  Strand strand(10'000, 1 << 20);
  std::atomic<int> idles{0};
  std::thread runner([&] {
    strand.run(
        [&] {
          idles++;
          return clock.steady_ms() + 1000;
        },
        clock);
  });
  std::vector<int> order;  // touched only by the strand's thread until it has stopped
  std::atomic<int> done{0};
  std::thread::id strand_thread;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(strand.post(
        [&, i] {
          order.push_back(i);
          strand_thread = std::this_thread::get_id();
          done++;
        },
        1));
  }
  ASSERT_TRUE(process::wait_until([&] { return done.load() == 1000; }, 10'000));
  const std::thread::id runner_id = runner.get_id();
  strand.stop();
  runner.join();
  EXPECT_EQ(strand_thread, runner_id);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(order[static_cast<size_t>(i)], i);
  EXPECT_GE(idles.load(), 1);
  EXPECT_FALSE(strand.post([] {}, 1));  // stopped: late callbacks are dropped
}

TEST(StrandTest, CloseRunsWhatWasQueuedRefusesNewTasksAndThenRunReturns) {
  ManualClock clock;
  Strand strand(100, 1 << 20);
  std::vector<int> ran;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(strand.post([&ran, i] { ran.push_back(i); }, 1));
  strand.close();
  EXPECT_FALSE(strand.post([&ran] { ran.push_back(99); }, 1));
  // Closed before it ran: run() still answers the three queued tasks, then returns at once
  // (the idle callback would ask to sleep for an hour).
  strand.run([&] { return clock.steady_ms() + 3'600'000; }, clock);
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(strand.depth(), 0u);
}

}  // namespace
}  // namespace tidewire

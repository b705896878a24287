// MosquittoLoop without any broker: tasks, timers, threads.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "process/process.hpp"
#include "tidewire/transport/mosquitto_loop.hpp"

namespace tidewire::transport {
namespace {

using process::wait_until;

TEST(MosquittoLoop, PostedTasksRunInOrderOnTheLoopThread) {
  MosquittoLoop loop;
  ASSERT_TRUE(loop.start_thread());
  EXPECT_FALSE(loop.in_loop_thread());
  std::mutex mu;
  std::vector<int> order;
  std::atomic<int> on_loop{0};
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(loop.post([&, i] {
      if (loop.in_loop_thread()) ++on_loop;
      std::lock_guard lock(mu);
      order.push_back(i);
    }));
  }
  ASSERT_TRUE(wait_until([&] { return on_loop.load() == 100; }, 5000));
  std::lock_guard lock(mu);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(MosquittoLoop, TimersFireByDeadlineAndCancelledOnesNever) {
  MosquittoLoop loop;
  ASSERT_TRUE(loop.start_thread());
  std::mutex mu;
  std::vector<std::string> fired;
  auto record = [&](const char* name) {
    return [&, name] {
      std::lock_guard lock(mu);
      fired.emplace_back(name);
    };
  };
  loop.schedule(60, record("late"));
  auto cancelled = loop.schedule(30, record("cancelled"));
  loop.schedule(10, record("early"));
  EXPECT_TRUE(loop.cancel(cancelled));
  EXPECT_FALSE(loop.cancel(cancelled));
  ASSERT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(mu);
        return fired.size() == 2;
      },
      5000));
  std::lock_guard lock(mu);
  EXPECT_EQ(fired, (std::vector<std::string>{"early", "late"}));
}

TEST(MosquittoLoop, RepeatingTimerRunsUntilItCancelsItself) {
  MosquittoLoop loop;
  ASSERT_TRUE(loop.start_thread());
  std::atomic<int> ticks{0};
  std::atomic<MosquittoLoop::TimerId> id{0};
  std::atomic<bool> cancelled{false};
  id = loop.every(5, [&] {
    if (++ticks == 3) cancelled = loop.cancel(id.load());
  });
  ASSERT_TRUE(wait_until([&] { return cancelled.load(); }, 5000));
  // A later one-shot timer proves the loop kept running past further would-be ticks.
  std::atomic<bool> marker{false};
  loop.schedule(30, [&] { marker = true; });
  ASSERT_TRUE(wait_until([&] { return marker.load(); }, 5000));
  EXPECT_EQ(ticks.load(), 3);
}

TEST(MosquittoLoop, RunOnTheCallersThreadReturnsAfterStopAndTasksPostedBeforeStopRun) {
  MosquittoLoop loop;
  std::atomic<bool> ran_after_stop{false};
  ASSERT_TRUE(loop.post([&] {
    loop.stop();
    (void)loop.post([&] { ran_after_stop = true; });
  }));
  ASSERT_TRUE(loop.run());  // returns because the first task asked it to
  EXPECT_TRUE(ran_after_stop.load());
  EXPECT_FALSE(loop.running());
  auto twice = loop.start_thread();
  ASSERT_TRUE(twice.ok());  // may run again once stopped
  loop.stop();
  EXPECT_FALSE(loop.running());
}

TEST(MosquittoLoop, StopWaitsForALoopRunningOnSomeoneElsesThread) {
  MosquittoLoop loop;
  std::thread runner([&] { EXPECT_TRUE(loop.run()); });
  ASSERT_TRUE(wait_until([&] { return loop.running(); }, 5000));
  loop.stop();
  EXPECT_FALSE(loop.running());  // stop() came back only once run() had left the loop
  runner.join();
}

TEST(MosquittoLoop, RefusesToRunTwiceAndBoundsItsQueue) {
  MosquittoLoop::Options o;
  o.max_posted = 2;
  MetricsRegistry metrics;
  o.metrics = &metrics;
  MosquittoLoop loop(o);
  ASSERT_TRUE(loop.post([] {}));
  ASSERT_TRUE(loop.post([] {}));
  auto third = loop.post([] {});
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(metrics.counter_total("tw_transport_loop_posted_rejected_total"), 1u);
  ASSERT_TRUE(loop.start_thread());
  auto again = loop.start_thread();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidArgument);
}

TEST(MosquittoLoop, ScheduleFromAnotherThreadWakesASleepingLoop) {
  MosquittoLoop loop;
  ASSERT_TRUE(loop.start_thread());
  // The loop sleeps until its next tick; a sooner timer added from here must cut that short.
  std::atomic<bool> fired{false};
  std::thread other([&] { loop.schedule(1, [&] { fired = true; }); });
  other.join();
  EXPECT_TRUE(wait_until([&] { return fired.load(); }, 2000));
}

}  // namespace
}  // namespace tidewire::transport

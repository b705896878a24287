#pragma once
// Time is injected: components take a Clock&, so tests and the simulator drive time.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "tidewire/common/expected.hpp"

namespace tidewire {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch; used for timestamps that leave the process.
  virtual int64_t wall_ms() const = 0;
  // Monotonic milliseconds; used for timeouts, rates and ages inside the process.
  virtual int64_t steady_ms() const = 0;
  // Real milliseconds to sleep so that `clock_ms` pass on this clock. Threads that wait for
  // a clock deadline use it, so a scaled clock (replays) wakes them in time.
  virtual int64_t real_ms(int64_t clock_ms) const { return clock_ms; }
};
using ClockPtr = std::shared_ptr<Clock>;

class SystemClock final : public Clock {
 public:
  int64_t wall_ms() const override;
  int64_t steady_ms() const override;
};

// A clock `scale` times faster than real time, for replaying a day in minutes. Every
// process of a replay builds it from the same three numbers, so they all agree:
//   wall_ms = start_ms + (real wall now - real_zero_ms) * scale
// steady_ms is the same scaled offset (from this process's steady clock, so it never goes
// back); sleeping processes divide their waits by `scale` through real_ms().
struct ScaleOptions {
  double scale = 1.0;        // 1 = real time
  int64_t start_ms = 0;      // clock time at real_zero_ms (e.g. the replayed day's 00:00)
  int64_t real_zero_ms = 0;  // real Unix ms at which the clock shows start_ms
};
Status validate(const ScaleOptions& options);  // scale in [1, 10000], times >= 0

class ScaledClock final : public Clock {
 public:
  explicit ScaledClock(const ScaleOptions& options);
  int64_t wall_ms() const override;
  int64_t steady_ms() const override;
  int64_t real_ms(int64_t clock_ms) const override;
  double scale() const { return options_.scale; }

 private:
  ScaleOptions options_;
  int64_t steady_base_ms_;  // this process's scaled wall time at construction
  int64_t real_steady_at_base_ms_;
};

// A clock that moves only when told to. Thread-safe so a test thread can advance it
// while a component thread reads it.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : wall_(start_ms), steady_(0) {}
  int64_t wall_ms() const override { return wall_.load(); }
  int64_t steady_ms() const override { return steady_.load(); }
  void advance_ms(int64_t ms) {
    wall_ += ms;
    steady_ += ms;
  }

 private:
  std::atomic<int64_t> wall_;
  std::atomic<int64_t> steady_;
};

}  // namespace tidewire

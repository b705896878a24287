#pragma once
// Time is injected: components take a Clock&, so tests and the simulator drive time.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace tidewire {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch; used for timestamps that leave the process.
  virtual int64_t wall_ms() const = 0;
  // Monotonic milliseconds; used for timeouts, rates and ages inside the process.
  virtual int64_t steady_ms() const = 0;
};
using ClockPtr = std::shared_ptr<Clock>;

class SystemClock final : public Clock {
 public:
  int64_t wall_ms() const override;
  int64_t steady_ms() const override;
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

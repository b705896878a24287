#pragma once
// Exponential backoff with full jitter: delay = uniform(0, min(cap, base * 2^attempt)).
// Full jitter spreads a fleet that lost its broker at the same instant, so reconnects
// do not arrive as one wave.
#include <algorithm>
#include <cstdint>

#include "tidewire/common/random.hpp"

namespace tidewire {

class Backoff {
 public:
  Backoff(int64_t base_ms, int64_t cap_ms, Random& random) : base_ms_(base_ms), cap_ms_(cap_ms), random_(random) {}

  int64_t next_delay_ms() {
    int64_t ceiling = base_ms_;
    for (int i = 0; i < attempt_ && ceiling < cap_ms_; ++i) ceiling *= 2;
    ceiling = std::min(ceiling, cap_ms_);
    ++attempt_;
    return static_cast<int64_t>(random_.uniform(0, static_cast<uint64_t>(ceiling)));
  }
  void reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }

 private:
  int64_t base_ms_;
  int64_t cap_ms_;
  Random& random_;
  int attempt_ = 0;
};

}  // namespace tidewire

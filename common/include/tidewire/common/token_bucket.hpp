#pragma once
// Items-per-second pacing for the uplink drain. After an outage the spool may hold hours
// of data; sending it as fast as the socket allows would hit the cloud with every site's
// backlog at once, so the drain is capped at a configured rate (burst = one batch).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "tidewire/common/clock.hpp"

namespace tidewire {

class TokenBucket {
 public:
  TokenBucket(double rate_per_s, double burst, const Clock& clock)
      : rate_per_ms_(rate_per_s / 1000.0),
        burst_(std::max(burst, 1.0)),
        tokens_(burst_),
        clock_(clock),
        last_ms_(clock.steady_ms()) {}

  // Takes n tokens if available. Asking for more than the burst is capped at the burst,
  // so a batch larger than the bucket still goes once the bucket is full.
  bool try_take(double n) {
    refill();
    n = std::min(n, burst_);
    if (tokens_ + kSlack < n) return false;
    tokens_ -= n;
    return true;
  }
  // Milliseconds until n tokens are available (0 if now).
  int64_t ms_until(double n) {
    refill();
    n = std::min(n, burst_);
    if (tokens_ + kSlack >= n || rate_per_ms_ <= 0) return 0;
    return static_cast<int64_t>(std::ceil((n - tokens_ - kSlack) / rate_per_ms_));
  }
  double tokens() {
    refill();
    return tokens_;
  }

 private:
  // Floating-point refills land a hair under whole numbers; never wait a whole ms for that.
  static constexpr double kSlack = 1e-6;

  void refill() {
    int64_t now = clock_.steady_ms();
    if (now > last_ms_) {
      tokens_ = std::min(burst_, tokens_ + static_cast<double>(now - last_ms_) * rate_per_ms_);
      last_ms_ = now;
    }
  }

  double rate_per_ms_;
  double burst_;
  double tokens_;
  const Clock& clock_;
  int64_t last_ms_;
};

}  // namespace tidewire

#pragma once
// Rate-limits repetitive WARN lines (one bad device can send thousands of rejects a
// second): at most one line per key per interval, with a count of what was suppressed.
#include <cstdint>
#include <map>
#include <string>

#include "tidewire/common/clock.hpp"

namespace tidewire {

class LogLimiter {
 public:
  LogLimiter(const Clock& clock, int64_t interval_ms = 10'000, size_t max_keys = 256)
      : clock_(clock), interval_ms_(interval_ms), max_keys_(max_keys) {}

  // True if a line for `key` may be written now; `suppressed` gets how many were skipped
  // since the last line for that key.
  bool allow(const std::string& key, uint64_t& suppressed) {
    int64_t now = clock_.steady_ms();
    auto it = keys_.find(key);
    if (it == keys_.end()) {
      if (keys_.size() >= max_keys_) keys_.clear();  // bounded; worst case one extra line
      keys_[key] = {now, 0};
      suppressed = 0;
      return true;
    }
    if (now - it->second.last_ms >= interval_ms_) {
      suppressed = it->second.suppressed;
      it->second = {now, 0};
      return true;
    }
    it->second.suppressed++;
    return false;
  }

 private:
  struct Entry {
    int64_t last_ms;
    uint64_t suppressed;
  };
  const Clock& clock_;
  int64_t interval_ms_;
  size_t max_keys_;
  std::map<std::string, Entry> keys_;
};

}  // namespace tidewire

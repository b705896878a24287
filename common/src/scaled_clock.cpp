// The replay clock: one formula every process of a replay evaluates from the same numbers,
// so a cloud, an edge and a fleet in three processes agree on "now" without talking.
#include <chrono>
#include <cmath>

#include "tidewire/common/clock.hpp"
#include "tidewire/common/config.hpp"

namespace tidewire {
namespace {

int64_t real_wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t real_steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

constexpr double kMaxScale = 10'000;

}  // namespace

Status validate(const ScaleOptions& options) {
  if (!(options.scale >= 1.0 && options.scale <= kMaxScale)) {
    return make_error(ErrorCode::kInvalidArgument, "time-scale must be between 1 and 10000");
  }
  if (options.start_ms < 0 || options.real_zero_ms < 0) {
    return make_error(ErrorCode::kInvalidArgument, "time-start-ms and time-zero-ms must not be negative");
  }
  return {};
}

ScaledClock::ScaledClock(const ScaleOptions& options) : options_(options) {
  real_steady_at_base_ms_ = real_steady_ms();
  steady_base_ms_ = options_.start_ms +
                    static_cast<int64_t>(std::llround(static_cast<double>(real_wall_ms() - options_.real_zero_ms) *
                                                      options_.scale));
}

int64_t ScaledClock::wall_ms() const {
  double elapsed = static_cast<double>(real_wall_ms() - options_.real_zero_ms) * options_.scale;
  return options_.start_ms + static_cast<int64_t>(std::llround(elapsed));
}

int64_t ScaledClock::steady_ms() const {
  double elapsed = static_cast<double>(real_steady_ms() - real_steady_at_base_ms_) * options_.scale;
  return steady_base_ms_ + static_cast<int64_t>(std::llround(elapsed));
}

int64_t ScaledClock::real_ms(int64_t clock_ms) const {
  if (clock_ms <= 0) return 0;
  // Round up: waking a moment late is harmless, waking early spins.
  return static_cast<int64_t>(std::ceil(static_cast<double>(clock_ms) / options_.scale));
}

std::vector<OptionSpec> clock_option_specs() {
  using T = OptionSpec::Type;
  return {
      {"time-scale", T::kDouble, "1",
       "run this many times faster than real time (replays; every process of a stack must agree)"},
      {"time-start-ms", T::kInt, "0", "clock time (Unix ms) at --time-zero-ms; 0 with scale 1 = the real clock"},
      {"time-zero-ms", T::kInt, "0", "real Unix ms at which the clock shows --time-start-ms"},
  };
}

Expected<ClockPtr> make_clock(const Config& config) {
  ScaleOptions o;
  o.scale = config.real("time-scale");
  o.start_ms = config.integer("time-start-ms");
  o.real_zero_ms = config.integer("time-zero-ms");
  if (auto st = validate(o); !st) return st.error();
  if (o.scale == 1.0 && o.start_ms == 0) return ClockPtr(std::make_shared<SystemClock>());
  if (o.real_zero_ms == 0) o.real_zero_ms = real_wall_ms();  // a scaled clock starting now
  if (o.start_ms == 0) o.start_ms = o.real_zero_ms;          // ... from the real time
  return ClockPtr(std::make_shared<ScaledClock>(o));
}

}  // namespace tidewire

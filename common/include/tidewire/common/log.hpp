#pragma once
// Line-oriented logs to stderr: "2026-11-21T19:20:01.123Z INFO edge: spool full, dropped 3 low-priority events".
// One line per record so journald and grep work; the component name says who spoke.
#include <sstream>
#include <string>
#include <string_view>

namespace tidewire::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void set_level(Level level);
bool parse_level(std::string_view text, Level& out);
bool enabled(Level level);
void write(Level level, std::string_view component, std::string_view message);

}  // namespace tidewire::log

// Formats only when the level is enabled, so debug logs cost nothing on the hot path.
#define TW_LOG(level, component, expr)                                 \
  do {                                                                 \
    if (::tidewire::log::enabled(level)) {                             \
      std::ostringstream tw_log_os_;                                   \
      tw_log_os_ << expr;                                              \
      ::tidewire::log::write(level, component, tw_log_os_.str());      \
    }                                                                  \
  } while (0)
#define TW_DEBUG(component, expr) TW_LOG(::tidewire::log::Level::kDebug, component, expr)
#define TW_INFO(component, expr) TW_LOG(::tidewire::log::Level::kInfo, component, expr)
#define TW_WARN(component, expr) TW_LOG(::tidewire::log::Level::kWarn, component, expr)
#define TW_ERROR(component, expr) TW_LOG(::tidewire::log::Level::kError, component, expr)

#pragma once
// tidewire-agent's options: declared once (flags, config file and --help all come from
// make_agent_config()) and checked into AgentOptions with errors that say what to do.
#include <cstdint>
#include <string>

#include "board/board_hal.hpp"
#include "sim/sim_hal.hpp"
#include "tidewire/common/config.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/firmware/device_session.hpp"
#include "tidewire/firmware/outbox.hpp"

namespace tidewire::firmware {

enum class HalChoice { kSim, kBoard };

struct AgentOptions {
  SessionOptions session;  // boot_id is left empty: main makes one per start
  OutboxLimits outbox;
  std::string state_dir;
  HalChoice hal = HalChoice::kBoard;
  SimHalOptions sim;
  board::BoardHalOptions board;
  uint64_t seed = 0;  // 0 = seed from the OS
  log::Level log_level = log::Level::kInfo;
  int64_t tick_ms = 100;
  int64_t metrics_log_interval_s = 300;
  int64_t shutdown_grace_ms = 3000;
};

Config make_agent_config();
// Reads and checks the parsed config. Every error names the option and the fix.
Expected<AgentOptions> agent_options_from(const Config& config);

}  // namespace tidewire::firmware

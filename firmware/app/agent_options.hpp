#pragma once
// tidewire-agent's options: declared once (flags, config file and --help all come from
// make_agent_config()) and checked into AgentOptions with errors that say what to do.
// The board's options are always there. A HAL a binary adds (tidewire-agent-sim: the
// simulated devices, sim_options.hpp) brings its own options, so the board binary's
// --help lists none of them and its code holds none of that HAL.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "board/board_hal.hpp"
#include "tidewire/common/config.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/firmware/device_session.hpp"
#include "tidewire/firmware/outbox.hpp"

namespace tidewire::firmware {

// Makes the HAL for a role (nullptr: no HAL for that role).
using HalMaker = std::function<DeviceHalPtr(v1::DeviceKind kind, Clock& clock, Random& random)>;

// A HAL an agent binary carries besides the board's, chosen with --hal NAME.
struct ExtraHal {
  std::string name;                 // the --hal value
  std::string help;                 // what --help says it is
  std::vector<OptionSpec> options;  // its own options
  // Reads and checks its options (errors name the option) into a maker of its HAL.
  std::function<Expected<HalMaker>(const Config&)> configure;
};

// What an agent binary is: its name and the HALs it carries besides the board's.
struct AgentBuild {
  std::string program = "tidewire-agent";
  std::vector<ExtraHal> extra_hals;
};

struct AgentOptions {
  SessionOptions session;  // boot_id is left empty: main makes one per start
  OutboxLimits outbox;
  std::string state_dir;
  std::string hal = "board";  // --hal
  board::BoardHalOptions board;
  HalMaker extra_hal;  // set when --hal names one of the build's extra HALs
  uint64_t seed = 0;   // 0 = seed from the OS
  log::Level log_level = log::Level::kInfo;
  int64_t tick_ms = 100;
  int64_t metrics_log_interval_s = 300;
  int64_t shutdown_grace_ms = 3000;
};

Config make_agent_config(const AgentBuild& build = {});
// Reads and checks the parsed config (made for the same build). Every error names the
// option and the fix.
Expected<AgentOptions> agent_options_from(const Config& config, const AgentBuild& build = {});

}  // namespace tidewire::firmware

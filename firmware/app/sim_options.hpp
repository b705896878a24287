#pragma once
// The simulated devices as an agent HAL: `tidewire-agent-sim --hal sim` (library
// tw_agent_sim_app; the board's tidewire-agent does not link it).
#include "agent_options.hpp"
#include "sim/sim_hal.hpp"

namespace tidewire::firmware {

// "sim", with the options --event-interval-ms and --sim-*.
ExtraHal sim_extra_hal();
// The simulated devices' options from a config made with sim_extra_hal(); errors name
// the option.
Expected<SimHalOptions> sim_hal_options_from(const Config& config);

}  // namespace tidewire::firmware

#pragma once
// The agent process, shared by tidewire-agent (main.cpp) and tidewire-agent-sim
// (sim_main.cpp): options, the SQLite outbox, the HAL, a DeviceSession on a MosquittoLoop,
// and a clean stop on SIGTERM/SIGINT (agent_process.cpp says how).
#include "agent_options.hpp"

namespace tidewire::firmware {

// Returns the exit code: 0 after a clean stop or --help, 1 when the state dir, the outbox
// or the event loop fail, 2 for bad options.
int run_agent(int argc, char** argv, const AgentBuild& build);

}  // namespace tidewire::firmware

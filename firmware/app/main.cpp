// tidewire-agent: the board's agent. It carries only the board HALs; the simulated
// devices are in tidewire-agent-sim.
#include "agent_process.hpp"

int main(int argc, char** argv) {
  return tidewire::firmware::run_agent(argc, argv, {});
}

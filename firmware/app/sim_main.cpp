// tidewire-agent-sim: tidewire-agent that can also run on simulated devices (--hal sim),
// for development hosts, demos and the integration tests. Boards run tidewire-agent.
#include "agent_process.hpp"
#include "sim_options.hpp"

int main(int argc, char** argv) {
  namespace fw = tidewire::firmware;
  return fw::run_agent(argc, argv, {"tidewire-agent-sim", {fw::sim_extra_hal()}});
}

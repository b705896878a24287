#pragma once
// tidewire-sim bench pipeline: in one run, on loopback, with brokers and components it
// starts itself, measures
//   reference  raw mosquitto QoS1 publish -> subscribe rate for the event payload size
//   pipeline   device -> site broker -> edge (spool) -> cloud broker -> cloud (commit) rate
// and reports both and their ratio as JSON. A benchmark, not a test: it asserts nothing.
#include <cstdint>
#include <string>

#include "tidewire/common/expected.hpp"

namespace tidewire::sim {

struct PipelineBenchOptions {
  std::string run_dir = "run/bench";
  int devices = 100;
  int events_per_device = 500;
  int raw_messages = 50'000;
  int max_inflight = 100;
  int64_t edge_drain_rate = 1'000'000;  // items/s; the product default (20k) is a safety cap
  int64_t timeout_ms = 120'000;
};

// tidewire-sim bench dispatch: assignment solve times and costs (exact vs greedy vs the
// Boost min-cost-flow reference), on generated instances, in one run.
struct DispatchBenchOptions {
  uint64_t seed = 1;
  int32_t index_riders = 100'000;  // instant policy: riders in the index
  int32_t instant_orders = 20'000;
  int32_t batch_orders = 5000;
  int32_t batch_riders = 20000;
  int32_t candidates_per_order = 40;
  int repetitions = 3;
  int reference_instances = 5;
  int32_t reference_orders = 300;
  int32_t reference_riders = 1200;
};
Expected<std::string> bench_dispatch(const DispatchBenchOptions& options);

// Returns the JSON report.
Expected<std::string> bench_pipeline(const PipelineBenchOptions& options);

// Raw broker reference alone: messages/s through one broker, one publisher, one subscriber.
Expected<double> measure_raw_pubsub(int port, int messages, size_t payload_bytes, int max_inflight, int qos);

}  // namespace tidewire::sim

#pragma once
// tidewire-sim bench pipeline: in one run, on loopback, with brokers and components it
// starts itself, measures
//   reference  raw mosquitto QoS1 publish -> subscribe rate for the event payload size
//   pipeline   device -> site broker -> edge (spool) -> cloud broker -> cloud (commit) rate
// and reports both and their ratio as JSON; with --tls, both again with every hop over TLS
// and the TLS-to-plain ratios. A benchmark, not a test: it asserts nothing.
#include <cstdint>
#include <string>

#include "tidewire/common/expected.hpp"
#include "tidewire/credentials/login_file.hpp"
#include "tidewire/transport/transport.hpp"

namespace tidewire::sim {

struct PipelineBenchOptions {
  std::string run_dir = "run/bench";
  int devices = 100;
  int events_per_device = 500;
  int raw_messages = 50'000;
  int max_inflight = 100;
  int64_t edge_drain_rate = 1'000'000;  // items/s; the product default (20k) is a safety cap
  int64_t timeout_ms = 120'000;
  // Measure both legs (raw reference and pipeline) a second time with every MQTT hop over
  // TLS, on a fresh stack, and report TLS-to-plain ratios.
  bool compare_tls = false;
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

// tidewire-sim bench push (docs/push_bench.md): through the real tidewire-cloud and
// reference apps (VirtualApps) on a fresh loopback stack, in one run: API accept rate,
// delivered-and-receipted rate, latency at a paced target rate, a tag fan-out's time to
// the last receipt, and the cloud broker's raw QoS1 rate. Returns the JSON report.
struct PushBenchOptions {
  std::string run_dir = "run/bench-push";
  int client_threads = 32;           // HTTP client threads, one kept-alive connection each
  int apps = 1'000;                  // online apps the throughput and latency phases post to
  int64_t flood_notifications = 20'000;   // posted as fast as the client threads go
  int64_t latency_notifications = 30'000; // posted paced at target_rate
  double target_rate = 10'000;       // notifications/s offered in the latency phase
  int latency_sample = 1'000;        // notifications whose cloud receipt time is read back
  int fanout_recipients = 100'000;   // recipients carrying the fan-out tag
  int fanout_apps = 5'000;           // of those, apps of their own (3 descriptors each: ulimit -n bounds it)
  int fanout_gateway_connections = 16;  // the rest answer through an InboxGateway (0 = they stay offline)
  int rate_per_recipient = 1'000;    // cloud push-rate-per-recipient (product default 2)
  int fanout_chunk = 2'000;          // cloud push-fanout-chunk (product default)
  int raw_messages = 50'000;
  int64_t phase_s = 30;              // posting in the throughput / latency phase stops after this
  int64_t timeout_s = 300;           // per phase
};
Expected<std::string> bench_push(const PushBenchOptions& options);

// Returns the JSON report.
Expected<std::string> bench_pipeline(const PipelineBenchOptions& options);

// Where the raw reference publishes, and as whom: on a locked broker (docs/security.md) a
// topic the publisher may write and the subscriber may read, with their logins.
struct RawPubSubRoute {
  std::string topic = "tw-bench/raw";
  credentials::Login publisher;
  credentials::Login subscriber;
  transport::ConnectOptions::Tls tls;  // both clients; empty = plain TCP
};

// Raw broker reference alone: messages/s through one broker, one publisher, one subscriber.
Expected<double> measure_raw_pubsub(int port, int messages, size_t payload_bytes, int max_inflight, int qos,
                                    const RawPubSubRoute& route = {});

}  // namespace tidewire::sim

#pragma once
// Runs a Relay on its own thread: wires both transports' callbacks into a Strand, connects,
// wakes the relay when its timers are due, logs a one-line metrics summary periodically,
// and stops in order on shutdown:
//   1. stop taking device messages and commands,
//   2. commit what was received and publish its acks,
//   3. disconnect the site broker, stop the thread, disconnect the cloud broker.
// Unacked batches need no flushing: their rows are in the spool for the next run.
#include <cstdint>
#include <memory>
#include <thread>

#include "tidewire/common/clock.hpp"
#include "tidewire/edge/edge_metrics.hpp"
#include "tidewire/edge/relay.hpp"
#include "tidewire/common/strand.hpp"
#include "tidewire/transport/transport.hpp"

namespace tidewire::edge {

struct HostOptions {
  size_t max_queued = 50'000;         // broker messages waiting for the relay thread
  size_t max_queued_bytes = 256 << 20;
  int64_t summary_interval_ms = 30'000;  // 0 = no summary lines
};

class RelayHost {
 public:
  RelayHost(Relay& relay, transport::Transport& site, transport::Transport& cloud, const Clock& clock,
            EdgeMetrics& metrics, HostOptions options);
  ~RelayHost();
  RelayHost(const RelayHost&) = delete;
  RelayHost& operator=(const RelayHost&) = delete;

  // relay.start(), then handlers, the relay thread, and both connections.
  Status start(const transport::ConnectOptions& site, const transport::ConnectOptions& cloud);
  // The ordered stop above; waits up to timeout_ms for the final commit. Idempotent.
  void shutdown(int64_t timeout_ms = 10'000);

  std::string summary() const;

 private:
  int64_t on_idle();

  Relay& relay_;
  transport::Transport& site_;
  transport::Transport& cloud_;
  const Clock& clock_;
  EdgeMetrics& metrics_;
  HostOptions options_;
  std::shared_ptr<Strand> strand_;
  std::thread thread_;
  int64_t next_summary_ms_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace tidewire::edge

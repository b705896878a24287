#pragma once
// The edge -> cloud half of the relay: reads spooled rows in id order, packs them into
// EdgeBatches (bounded by items, bytes and delay), publishes BatchFrames QoS1, and deletes
// exactly the rows a BatchAck lists. Unacked batches stay in a bounded window and are
// re-sent after a timeout and after every reconnect; their rows stay in the spool, so a
// restart re-reads them (the cloud absorbs the duplicates).
//
// Pacing: new batches take tokens from an items/s bucket (burst = one full batch). In
// normal operation the inflow is far below the rate so it never bites; after an outage it
// turns a backlog into a steady drain instead of a flood. Re-sends are not paced: they are
// already bounded by the window.
//
// Single-threaded: driven by the relay's thread like everything in the domain core.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tidewire/common/clock.hpp"
#include "tidewire/edge/edge_metrics.hpp"
#include "tidewire/common/log_limiter.hpp"
#include "tidewire/edge/spool.hpp"
#include "tidewire/common/token_bucket.hpp"
#include "tidewire/transport/transport.hpp"
#include "tidewire/v1/edge.pb.h"

namespace tidewire::edge {

struct UplinkOptions {
  std::string edge_id;
  std::string site;
  size_t max_items = 500;
  size_t max_bytes = 1 << 20;  // row bytes per batch (before compression)
  int64_t max_delay_ms = 200;
  size_t window = 8;
  int64_t ack_timeout_ms = 10'000;
  double drain_rate = 20'000;  // items/s; <= 0 = unpaced
  int zstd_level = 3;
};

class Uplink {
 public:
  Uplink(UplinkOptions options, Spool& spool, transport::Transport& cloud, const Clock& clock, EdgeMetrics& metrics);

  // Everything already in the spool is unread after a restart.
  Status start();
  // After each group commit: n new rows of `bytes` bytes are in the spool.
  void on_rows_appended(size_t n, size_t bytes);
  void on_connection(bool up);
  void on_ack(const v1::BatchAck& ack);
  // Sends what is due; returns the steady ms at which it next wants to run.
  int64_t tick();

  size_t inflight() const { return inflight_.size(); }
  int64_t read_position() const { return read_pos_; }

 private:
  struct InFlight {
    std::string frame;
    std::vector<int64_t> ids;
    int64_t sent_ms = 0;
    bool sent = false;     // false: waiting to be (re-)published
    bool ever_sent = false;
  };

  bool batch_due(int64_t now) const;
  // Builds and publishes one batch; returns false when there was nothing to send.
  bool send_new_batch(int64_t now);
  bool publish(uint64_t batch_id, InFlight& batch, int64_t now);

  UplinkOptions options_;
  Spool& spool_;
  transport::Transport& cloud_;
  const Clock& clock_;
  EdgeMetrics& metrics_;
  LogLimiter log_limit_;
  std::string topic_;
  std::optional<TokenBucket> bucket_;
  bool connected_ = false;
  int64_t read_pos_ = 0;  // highest spool id already placed in a batch
  // Estimates of rows not yet read (>= the truth: coalescing and drops only remove rows).
  size_t unread_rows_ = 0;
  size_t unread_bytes_ = 0;
  int64_t unread_since_ms_ = -1;
  int64_t paced_until_ms_ = -1;
  std::map<uint64_t, InFlight> inflight_;  // by batch_id
};

}  // namespace tidewire::edge

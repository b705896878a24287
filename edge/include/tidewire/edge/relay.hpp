#pragma once
// The edge's domain core: site broker in, cloud broker out, SQLite spool in between.
//
//   device message -> Validator -> DeviceCursors (dedup) -> pending group
//   pending group  -> one Spool::append transaction (rows + cursors + known devices)
//                  -> only then DeviceAck{up_to_seq = watermark} (QoS0) per device
//   spool          -> Uplink (batches to the cloud, rows deleted on BatchAck)
//   CommandBatch   -> each Command QoS1 to its device's cmd topic (known-devices table)
//
// Group commit: messages are collected for up to group_commit_ms or group_commit_max
// messages, whichever comes first, and committed in one transaction; with
// synchronous=FULL the fsync dominates, so one per group instead of one per message is
// what lets a site gateway keep up with a fleet.
//
// Threading: not thread-safe by design. Every method must be called from one thread (the
// RelayHost's strand); the transports' callbacks are posted there. One thread owns the
// SQLite connection, the cursors and the in-flight window, so there are no locks to get
// wrong, and a group commit naturally collects whatever arrived while the previous fsync
// ran. Tests call the methods directly, with FakeTransports and a ManualClock.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tidewire/common/clock.hpp"
#include "tidewire/edge/device_cursors.hpp"
#include "tidewire/edge/edge_metrics.hpp"
#include "tidewire/common/log_limiter.hpp"
#include "tidewire/edge/spool.hpp"
#include "tidewire/edge/uplink.hpp"
#include "tidewire/edge/validator.hpp"
#include "tidewire/transport/transport.hpp"

namespace tidewire::edge {

struct RelayOptions {
  std::string edge_id;
  std::string site;
  int64_t group_commit_ms = 5;
  size_t group_commit_max = 1000;
  int64_t spool_max_age_ms = 7LL * 24 * 3600 * 1000;
  int64_t expire_interval_ms = 60'000;
  UplinkOptions uplink;  // edge_id and site are filled in from above
};

class Relay {
 public:
  Relay(RelayOptions options, Spool& spool, transport::Transport& site, transport::Transport& cloud,
        const Clock& clock, EdgeMetrics& metrics);

  // Loads cursors and known devices from the spool and subscribes both transports (the
  // transports re-apply subscriptions on every reconnect). Call once, before connecting.
  Status start();

  void on_site_message(const transport::Message& message);
  void on_cloud_message(const transport::Message& message);
  void on_site_connection(bool up);
  void on_cloud_connection(bool up);
  // Runs whatever is due (group commit, spool expiry, uplink); returns the steady ms at
  // which it next wants to run.
  int64_t tick();

  // Shutdown: ignore further device messages and commands, then commit what was received.
  void stop_input() { input_stopped_ = true; }
  Status flush();

  size_t pending_messages() const { return pending_.messages; }
  const Uplink& uplink() const { return uplink_; }

 private:
  struct Pending {
    std::vector<NewRow> rows;
    std::map<std::string, size_t> status_row;  // device -> index in rows
    std::map<CursorKey, topics::DeviceAddress> acks;
    std::map<std::string, topics::DeviceAddress> devices;  // new or changed
    size_t messages = 0;
    int64_t first_ms = -1;
  };

  void ingest(DeviceMessage message, const std::string& payload);
  Status commit_group();
  void send_acks(const std::map<CursorKey, topics::DeviceAddress>& acks);
  void fan_out(const std::string& payload);
  void expire_spool();
  void update_spool_gauges();

  RelayOptions options_;
  Spool& spool_;
  transport::Transport& site_;
  transport::Transport& cloud_;
  const Clock& clock_;
  EdgeMetrics& metrics_;
  Validator validator_;
  DeviceCursors cursors_;
  Uplink uplink_;
  LogLimiter log_limit_;
  std::string cloud_ack_topic_;
  std::string cloud_cmd_topic_;
  std::map<std::string, topics::DeviceAddress> known_;  // committed known devices
  Pending pending_;
  bool input_stopped_ = false;
  int64_t next_expire_ms_ = 0;
};

}  // namespace tidewire::edge

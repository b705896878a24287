#pragma once
// The agent's domain core: one device's conversation with its site broker.
//
// Transport-agnostic and single-threaded: it is driven by calls (tick() on a timer, and
// on_connected / on_disconnected / on_message from the transport's handlers, all on one
// thread), owns no thread and does no I/O except through its Outbox and HAL. The
// simulator runs thousands of these in one process on one MosquittoLoop.
//
// What it does (docs/protocol.md):
// - status: QoS0, latest-wins, every status_interval_ms, or earlier (but not more often
//   than status_min_interval_ms) when the HAL reports a significant change;
// - events and command results: appended to the outbox, published QoS1 in seq order
//   within the transport's in-flight window and at most max_unacked ahead of the edge's
//   ack, re-sent from the floor after resend_timeout_ms without ack and after every
//   reconnect, deleted on DeviceAck (cumulative), each event carrying outbox_floor_seq;
// - presence: every connection gets a fresh session_seq from the outbox's persistent
//   counter; the will (online=false, S) is built into the ConnectOptions of that
//   connection and online=true (S) is published once it is up. Because the will is fixed
//   at connect time, the session never lets the transport silently reconnect with a used
//   will: after a lost connection it disconnects the transport and connects again with a
//   new S, after a jittered backoff (see firmware/README.md, "Presence");
// - commands: decoded and validated with the codec, expired -> EXPIRED, unknown ->
//   UNSUPPORTED (from the HAL), executed once per command_id; a re-delivered command gets
//   the remembered result again. Results travel through the outbox like events. A HAL
//   may defer its answer (a person decides on a dispatch offer): the command then waits,
//   at most kMaxPendingCommands of them, until the HAL hands the reply back or the
//   command's deadline passes (EXPIRED); a re-delivery meanwhile is counted and ignored.
//   The reply's body goes into CommandResult.body.
// Every payload it receives is decoded with the codec; bad ones are counted and dropped.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tidewire/common/backoff.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/common/expected.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/firmware/hal.hpp"
#include "tidewire/firmware/outbox.hpp"
#include "tidewire/firmware/session_metrics.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/transport/transport.hpp"

namespace tidewire::firmware {

struct SessionOptions {
  topics::DeviceAddress address;
  std::string boot_id;  // random per process start (make_boot_id)
  // Broker, keepalive, in-flight window and reconnect bounds. client_id defaults to the
  // device id; the will is always set by the session.
  transport::ConnectOptions connect;
  int64_t status_interval_ms = 5000;
  int64_t status_min_interval_ms = 1000;
  int64_t poll_interval_ms = 1000;        // how often the HAL is advanced and read
  int64_t resend_timeout_ms = 30'000;     // no edge ack for this long -> re-send from the floor
  size_t max_unacked = 1000;              // outbox rows sent but not yet acked by the edge
  int64_t expire_interval_ms = 10'000;    // how often rows over the age bound are dropped
  int64_t stable_connection_ms = 10'000;  // a connection that lasted this long resets the backoff
  // Fleets (tidewire-sim): per-device lines about routine things (connects, commands,
  // connection loss) go to DEBUG; problems (drops, rejects, store errors) stay WARN/ERROR.
  bool quiet = false;
};

struct SessionDeps {
  transport::Transport& transport;
  Outbox& outbox;
  DeviceHal& hal;
  Clock& clock;
  Random& random;
  MetricsRegistry& metrics;
};

// 16 hex digits from the injected randomness.
std::string make_boot_id(Random& random);

class DeviceSession {
 public:
  enum class State { kIdle, kConnecting, kOnline, kRenewing, kStopping, kStopped };

  static constexpr size_t kMaxPendingCommands = 64;

  static Expected<std::unique_ptr<DeviceSession>> create(SessionOptions options, SessionDeps deps);
  ~DeviceSession();
  DeviceSession(const DeviceSession&) = delete;
  DeviceSession& operator=(const DeviceSession&) = delete;

  // Installs the transport handlers and connects. Call once.
  Status start();
  // Timer-driven work: reconnects, HAL polling, status, resend timeouts, age drops.
  // Call every 50-200 ms.
  void tick();

  // Transport events (start() wires them; tests may call them directly).
  void on_connected();
  void on_disconnected();
  void on_message(const transport::Message& message);

  // Appends an event to the outbox and sends it when it can. The HAL's events come
  // through here; so can the simulator's scripted ones.
  Status record_event(const HalEvent& event);

  // Orderly stop: publishes Presence{online=false} (a clean DISCONNECT suppresses the
  // will, so the session says it explicitly) and stops sending new rows. The outbox is
  // already durable: nothing else needs flushing.
  void begin_shutdown();
  // True once the offline presence and every in-flight QoS1 publish are acknowledged,
  // or there is no connection to wait for.
  bool shutdown_settled() const;
  // Disconnects cleanly. Idempotent.
  void finish_shutdown();

  State state() const { return state_; }
  bool online() const { return state_ == State::kOnline; }
  uint64_t session_seq() const { return session_seq_; }
  const std::string& boot_id() const { return options_.boot_id; }
  const std::string& device_id() const { return options_.address.device_id; }
  size_t unacked() const { return sent_.size(); }
  // Commands the HAL deferred and has not answered yet.
  size_t pending_commands() const { return pending_.size(); }
  // One line for the periodic log: connection, outbox and traffic counters.
  std::string summary() const;

 private:
  struct Topics {
    std::string status, event, presence, result, command, ack;
  };
  struct Sent {
    uint64_t seq;
    int64_t at_ms;
  };

  DeviceSession(SessionOptions options, SessionDeps deps, Topics topics);

  // The level for routine per-device lines (lowered when options_.quiet).
  log::Level routine(log::Level level = log::Level::kInfo) const;
  v1::Envelope envelope() const;
  void subscribe();
  void connect_now();
  void schedule_renew(int64_t delay_ms);
  void send_online_presence();
  void poll_hal();
  void publish_status(const v1::Status& status);
  void check_resend_timeout();
  void pump();
  void pump_once();
  Status publish_row(const OutboxRecord& row);
  void forget_sent_up_to(uint64_t seq);
  void handle_ack(const std::string& payload);
  void handle_command(const std::string& payload);
  void answer(const v1::Command& command, const CommandReply& reply);
  void settle_pending();
  void reject(RejectReason reason, const std::string& what);
  void note_drops();
  std::function<void(const Status&)> done_callback(std::function<void(DeviceSession&, const Status&)> fn);

  SessionOptions options_;
  transport::Transport& transport_;
  Outbox& outbox_;
  DeviceHal& hal_;
  Clock& clock_;
  SessionMetrics metrics_;
  Topics topics_;
  Backoff backoff_;
  // Callbacks handed to the transport hold a weak reference, so a transport that
  // outlives the session never calls into a destroyed one.
  std::shared_ptr<DeviceSession*> life_;

  State state_ = State::kIdle;
  uint64_t session_seq_ = 0;
  bool need_disconnect_ = false;  // a used will is registered: disconnect before reconnecting
  int64_t renew_at_ms_ = 0;
  int64_t connected_since_ms_ = 0;
  bool presence_pending_ = false;
  bool subscribed_ = false;
  bool offline_acked_ = false;

  std::deque<Sent> sent_;      // published, not yet acked by the edge; seq order
  uint64_t cursor_ = 0;        // highest seq published since the last rewind
  uint64_t highest_sent_ = 0;  // highest seq ever published by this process
  bool pumping_ = false;
  bool pump_again_ = false;

  int64_t next_poll_ms_ = 0;
  int64_t next_expire_ms_ = 0;
  int64_t last_status_ms_ = -1;  // -1: none sent on this connection yet
  std::optional<v1::Status> last_status_;
  uint64_t drops_logged_ = 0;
  LogThrottle reject_log_;
  LogThrottle drop_log_;
  LogThrottle store_log_;
  std::vector<HalEvent> scratch_events_;
  std::map<std::string, v1::Command> pending_;  // deferred by the HAL, by command id
  std::vector<DeferredReply> scratch_replies_;
};

}  // namespace tidewire::firmware

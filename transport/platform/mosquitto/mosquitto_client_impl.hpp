#pragma once
// MosquittoClient's implementation, shared by its two halves:
//   mosquitto_client.cpp      the Transport API, called from any thread
//   mosquitto_connection.cpp  the connection state machine on the loop thread, and the
//                             libmosquitto callbacks
// Only these files include mosquitto.h.
#include <mosquitto.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pending_acks.hpp"
#include "tidewire/common/backoff.hpp"
#include "tidewire/transport/mosquitto_client.hpp"
#include "tidewire/transport/subscription_ledger.hpp"
#include "tidewire/transport/transport_metrics.hpp"

namespace tidewire::transport::mosquitto_detail {

inline constexpr char kLog[] = "mqtt-mosquitto";
// A DISCONNECT still unwritten after this (socket stuck) is given up: the socket closes
// anyway and the broker will publish the will.
inline constexpr int64_t kDisconnectGraceMs = 2000;
// How long disconnect()/destructor/abort_for_test() wait for the loop off its thread.
inline constexpr auto kCallerWait = std::chrono::milliseconds(3000);
// Packets read per readiness event before other connections get their turn.
inline constexpr int kMaxReadsPerEvent = 64;
// MQTT's remaining-length limit; larger payloads cannot be encoded at all.
inline constexpr size_t kMaxPayload = 268'435'455 - 1024;

Error mosq_error(int rc, const std::string& what);

using ClientMetrics = TransportMetrics;

}  // namespace tidewire::transport::mosquitto_detail

namespace tidewire::transport {

class MosquittoClient::Impl final : public detail::LoopClient, public std::enable_shared_from_this<Impl> {
 public:
  Impl(MosquittoLoop& loop, Random& random, MosquittoClientOptions options);
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // ---- Transport, any thread ----
  void set_message_handler(MessageHandler h) { on_message_ = std::move(h); }
  void set_connection_handler(ConnectionHandler h) { on_connection_ = std::move(h); }
  Status connect(const ConnectOptions& o);
  void disconnect();
  bool is_connected() const {
    std::lock_guard lock(mu_);
    return connected_;
  }
  Status subscribe(const std::string& filter, int qos);
  Status publish(Message message, PublishDone done);
  int inflight() const {
    std::lock_guard lock(mu_);
    return static_cast<int>(pending_.size());
  }
  std::vector<RefusedSubscription> refused_subscriptions() const { return ledger_.refused(); }
  void abort_for_test();
  void shutdown();

  // ---- detail::LoopClient, loop thread ----
  void on_io(uint32_t events) override;
  void on_misc() override;
  void on_flush() override;

 private:
  // Work handed to the loop thread, coalesced in one atomic word (see request()).
  enum Op : uint32_t { kOutput = 1, kBegin = 2, kDisconnect = 4, kAbort = 8 };

  static void on_connect_cb(mosquitto* m, void* obj, int rc);
  static void on_disconnect_cb(mosquitto* m, void* obj, int rc);
  static void on_publish_cb(mosquitto* m, void* obj, int mid);
  static void on_message_cb(mosquitto* m, void* obj, const mosquitto_message* msg);
  static void on_subscribe_cb(mosquitto* m, void* obj, int mid, int count, const int* granted);
  // With mu_ held: SUBSCRIBE one filter on `m` and note it in the ledger.
  int send_subscribe(mosquitto* m, const std::string& filter, int qos);

  void request(uint32_t op);
  bool wait_for(const std::function<bool()>& done);
  // Loop thread (or any thread while the loop is not running).
  void begin();
  void start_attempt();
  Status configure(mosquitto* m, const ConnectOptions& o);
  void pump();
  void reconcile_fd();
  void handle_drop(bool may_reconnect = true);
  void schedule_reconnect();
  void cancel_timer(MosquittoLoop::TimerId& id);
  void release_handle();
  void finish_disconnect();
  void abort_now();
  void teardown_inline();
  void maybe_finish();
  std::string peer() const { return host_ + ":" + std::to_string(port_); }

  MosquittoLoop& loop_;
  Random& random_;
  const bool log_edges_;
  const int max_qos0_queued_;
  const mosquitto_detail::ClientMetrics metrics_;
  SubscriptionLedger ledger_{metrics_, mosquitto_detail::kLog};
  MessageHandler on_message_;
  ConnectionHandler on_connection_;
  std::atomic<uint32_t> ops_{0};
  std::atomic<bool> muted_{false};  // no handler runs once shutdown() began

  // Shared with caller threads.
  mutable std::mutex mu_;
  std::condition_variable state_cv_;
  mosquitto* mosq_ = nullptr;  // replaced only on the loop thread, always under mu_
  bool connected_ = false;     // CONNACK accepted and not dropped or disconnected since
  bool want_connected_ = false;
  bool closed_ = false;    // shutdown() began: nothing starts again
  bool finished_ = false;  // shutdown() completed: handle destroyed, slot detached
  int max_inflight_ = 0;
  int qos0_queued_ = 0;  // written when libmosquitto reports a publish id that was never pending
  ConnectOptions options_;
  std::vector<std::pair<std::string, int>> subscriptions_;
  PendingAcks<PublishDone> pending_;

  // Loop thread only.
  uint32_t slot_ = MosquittoLoop::kNoSlot;
  std::shared_ptr<Impl> self_ref_;  // keeps us alive while the loop holds our raw pointer
  std::optional<Backoff> backoff_;
  int fd_ = -1;
  bool write_interest_ = false;
  bool dropped_ = false;  // set inside libmosquitto's disconnect callback, handled after it
  std::string drop_reason_;
  bool closing_ = false;  // DISCONNECT queued, waiting for it to be written
  bool reported_up_ = false;
  int failed_attempts_ = 0;
  std::string host_;
  int port_ = 0;
  MosquittoLoop::TimerId reconnect_timer_ = 0;
  MosquittoLoop::TimerId closing_timer_ = 0;
};

}  // namespace tidewire::transport

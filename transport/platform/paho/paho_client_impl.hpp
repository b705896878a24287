#pragma once
// PahoClient's implementation, shared by its two halves:
//   paho_client.cpp     the Transport API, called from any thread
//   paho_callbacks.cpp  what paho calls on its own thread
// Only these files include paho's headers.
#include <mqtt/async_client.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tidewire/transport/paho_client.hpp"
#include "tidewire/transport/subscription_ledger.hpp"
#include "tidewire/transport/transport_metrics.hpp"

namespace tidewire::transport::paho_detail {

inline constexpr char kLog[] = "mqtt-paho";
inline constexpr auto kDisconnectWait = std::chrono::seconds(2);
inline constexpr auto kConnectTimeout = std::chrono::seconds(10);
// paho's command buffer; its default of 100 refuses QoS0 bursts while connected.
inline constexpr int kMaxBufferedMessages = 10000;


// Set while paho runs one of our callbacks on its thread: waiting there for a paho token
// would wait for ourselves.
extern thread_local bool t_in_paho_callback;

struct CallbackScope {
  bool previous = t_in_paho_callback;
  CallbackScope() { t_in_paho_callback = true; }
  ~CallbackScope() { t_in_paho_callback = previous; }
  CallbackScope(const CallbackScope&) = delete;
  CallbackScope& operator=(const CallbackScope&) = delete;
};

Error paho_error(const mqtt::exception& e, const std::string& what);
inline int64_t ceil_seconds(int64_t ms) { return std::max<int64_t>(1, (ms + 999) / 1000); }
inline void* to_context(uint64_t id) { return reinterpret_cast<void*>(static_cast<uintptr_t>(id)); }
inline uint64_t from_context(void* p) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)); }

using ClientMetrics = TransportMetrics;

}  // namespace tidewire::transport::paho_detail

namespace tidewire::transport {

class PahoClient::Impl final : public mqtt::callback {
 public:
  explicit Impl(PahoClientOptions options)
      : metrics_(bind_transport_metrics(options.metrics, std::move(options.labels), "paho")) {}
  ~Impl() override { shutdown(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

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

 private:
  // One listener object per kind; a token's user context says which publish it was.
  struct PublishListener final : mqtt::iaction_listener {
    explicit PublishListener(Impl& o) : owner(o) {}
    void on_success(const mqtt::token& tok) override {
      paho_detail::CallbackScope scope;
      owner.publish_finished(tok, true);
    }
    void on_failure(const mqtt::token& tok) override {
      paho_detail::CallbackScope scope;
      owner.publish_finished(tok, false);
    }
    Impl& owner;
  };
  struct ConnectListener final : mqtt::iaction_listener {
    explicit ConnectListener(Impl& o) : owner(o) {}
    void on_success(const mqtt::token&) override {}
    void on_failure(const mqtt::token& tok) override {
      paho_detail::CallbackScope scope;
      owner.connect_failed(tok);
    }
    Impl& owner;
  };
  // A SUBACK: the granted QoS on success; paho reports 0x80 (MQTT 3.1.1) as a failure
  // with that return code, and a dropped connection as a failure with a negative one.
  struct SubscribeListener final : mqtt::iaction_listener {
    explicit SubscribeListener(Impl& o) : owner(o) {}
    void on_success(const mqtt::token& tok) override;
    void on_failure(const mqtt::token& tok) override;
    Impl& owner;
  };
  struct DisconnectListener final : mqtt::iaction_listener {
    explicit DisconnectListener(Impl& o) : owner(o) {}
    void on_success(const mqtt::token&) override {
      paho_detail::CallbackScope scope;
      owner.went_down("disconnected", false);
    }
    void on_failure(const mqtt::token&) override {
      paho_detail::CallbackScope scope;
      owner.went_down("disconnected", false);
    }
    Impl& owner;
  };

  // mqtt::callback (paho's thread)
  void connected(const std::string& cause) override;
  void connection_lost(const std::string& cause) override;
  void message_arrived(mqtt::const_message_ptr msg) override;

  void publish_finished(const mqtt::token& tok, bool ok);
  void connect_failed(const mqtt::token& tok);
  // Fails pending publishes and reports the down edge (once per up edge).
  void went_down(const std::string& why, bool lost);
  void shutdown();
  void retire(std::shared_ptr<mqtt::async_client> client);

  const paho_detail::ClientMetrics metrics_;
  SubscriptionLedger ledger_{metrics_, paho_detail::kLog};
  MessageHandler on_message_;
  ConnectionHandler on_connection_;
  PublishListener publish_listener_{*this};
  ConnectListener connect_listener_{*this};
  DisconnectListener disconnect_listener_{*this};
  SubscribeListener subscribe_listener_{*this};
  std::atomic<uint64_t> next_subscribe_context_{1};
  // SUBSCRIBE through paho, noted in the ledger first (the SUBACK may beat the return).
  void send_subscribe(mqtt::async_client& client, const std::string& filter, int qos);
  std::atomic<bool> muted_{false};  // no handler runs once shutdown() began

  // paho-cpp 1.2.0 loses messages (and their completions) when publish() runs on several
  // threads at once: measured 1198 of 1200 QoS1 completions with 4 publishing threads,
  // 1200/1200 when serialized. Calls from our threads into paho take this; never while
  // holding mu_, and never on paho's callback thread (paho may hold its own lock there).
  std::mutex call_mu_;
  mutable std::mutex mu_;
  // Shared so a call into paho can run outside mu_ while connect() swaps clients.
  std::shared_ptr<mqtt::async_client> client_;
  std::string peer_;
  std::string host_;  // of peer_, for set_nodelay_on_sockets_to
  int port_ = 0;
  bool nodelay_ = false;
  bool connected_ = false;
  bool want_connected_ = false;
  bool reported_up_ = false;
  bool closed_ = false;
  int max_inflight_ = 0;
  uint64_t next_context_ = 1;
  std::unordered_map<uint64_t, PublishDone> pending_;
  std::vector<std::pair<std::string, int>> subscriptions_;
  std::vector<std::shared_ptr<mqtt::async_client>> retired_;
};

}  // namespace tidewire::transport

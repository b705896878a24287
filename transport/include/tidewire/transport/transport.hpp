#pragma once
// One MQTT client interface, two backends:
//   platform/mosquitto/  libmosquitto driven by our own epoll loop: small, and one thread
//                        can drive thousands of connections (agent, simulator).
//   platform/paho/       paho-mqtt-cpp async client with automatic reconnect (edge, cloud).
// Both pass the same contract tests (tests/transport/contract_test.cpp).
//
// Contract:
// - connect() starts connecting and returns; the transport keeps reconnecting until
//   disconnect(). The connection handler is told of every up/down edge.
// - Subscriptions are remembered and re-applied on every reconnect (sessions are clean:
//   nothing may depend on broker-held session state, so any MQTT 3.1.1 broker works).
// - publish() refuses with kUnavailable while disconnected; QoS1 `done` fires with ok
//   once the broker acknowledged (PUBACK), or with an error if the connection dropped
//   first. Callers that need durability keep the message until then.
// - At most max_inflight QoS1 messages are unacknowledged at once; beyond that publish()
//   returns kUnavailable ("window full") so the caller keeps it and retries later.
// - Handlers run on the transport's own thread; they must not block.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "tidewire/common/expected.hpp"

namespace tidewire::transport {

struct Message {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
};

// The IANA port for MQTT over TCP: every component's default broker port.
inline constexpr int kDefaultMqttPort = 1883;

struct ConnectOptions {
  std::string host = "127.0.0.1";
  int port = kDefaultMqttPort;
  std::string client_id;
  int keepalive_s = 30;
  std::optional<Message> will;
  int max_inflight = 256;
  std::string username;
  std::string password;
  // Reconnect backoff bounds (exponential with full jitter where the backend allows).
  int64_t reconnect_min_ms = 250;
  int64_t reconnect_max_ms = 30'000;
  // Nagle off (TCP_NODELAY). On for request/answer traffic, where a small packet behind an
  // unacknowledged PUBACK would otherwise wait for the broker's delayed ACK (40 ms on
  // Linux): the cloud, the edge, push apps. Off (the default) for a device's bursts of
  // events, where coalescing packets is worth more on a metered link (docs/decisions.md).
  bool tcp_nodelay = false;
  // TLS, on when `ca_file` is set: the broker must present a certificate signed by that CA
  // whose name matches `host`. With `cert_file` and `key_file` the client proves who it is
  // too (mutual TLS; a broker with use_identity_as_username takes the certificate's
  // common name as the user name). docs/security.md.
  struct Tls {
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
  } tls;
  bool uses_tls() const { return !tls.ca_file.empty(); }
};

class Transport {
 public:
  using MessageHandler = std::function<void(const Message&)>;
  using ConnectionHandler = std::function<void(bool connected)>;
  using PublishDone = std::function<void(const Status&)>;

  virtual ~Transport() = default;

  // Set before connect().
  virtual void set_message_handler(MessageHandler handler) = 0;
  virtual void set_connection_handler(ConnectionHandler handler) = 0;

  virtual Status connect(const ConnectOptions& options) = 0;
  // Clean MQTT disconnect (no will is published); stops reconnecting. Idempotent.
  virtual void disconnect() = 0;
  virtual bool is_connected() const = 0;

  virtual Status subscribe(const std::string& filter, int qos) = 0;
  virtual Status publish(Message message, PublishDone done = nullptr) = 0;
  // QoS1 messages sent but not yet acknowledged.
  virtual int inflight() const = 0;
};
using TransportPtr = std::unique_ptr<Transport>;

}  // namespace tidewire::transport

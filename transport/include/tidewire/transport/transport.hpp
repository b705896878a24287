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
// - A SUBACK that refuses a filter (0x80) or grants a lower QoS than asked is an error:
//   logged (WARN, naming the filter and the granted code), counted in
//   tw_transport_subscribe_refused_total{reason="refused|downgraded"}, and listed by
//   refused_subscriptions() until a later SUBACK for that filter grants what was asked
//   (the list survives reconnects, so readiness keeps saying why nothing arrives).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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

// A subscription the broker did not grant as asked. `granted` is the SUBACK's return
// code: 0x80 (refused) or a QoS below `requested`.
struct RefusedSubscription {
  std::string filter;
  int requested_qos = 0;
  int granted = 0x80;
  bool operator==(const RefusedSubscription&) const = default;
};
inline constexpr int kSubackFailure = 0x80;

// "tw/v1/edge/+/batch (SUBACK 0x80 for QoS 1), ..." for logs and health reports.
inline std::string describe(const std::vector<RefusedSubscription>& refused) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const auto& r : refused) {
    if (!out.empty()) out += ", ";
    out += r.filter + " (SUBACK 0x";
    out += kHex[(r.granted >> 4) & 0xf];
    out += kHex[r.granted & 0xf];
    out += " for QoS " + std::to_string(r.requested_qos) + ")";
  }
  return out;
}

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
  // Filters whose latest SUBACK refused them or granted less than asked; empty when every
  // subscription stands as requested (and for transports without a broker, like fakes).
  virtual std::vector<RefusedSubscription> refused_subscriptions() const { return {}; }
};
using TransportPtr = std::unique_ptr<Transport>;

}  // namespace tidewire::transport

#pragma once
// PahoClient: the Transport contract (transport.hpp) on paho-mqtt-cpp's async_client,
// for the edge and the cloud (one or a few connections per process, automatic reconnect
// done by paho). No paho header leaks out of this folder: the adapter is behind Impl.
//
//   auto client = std::make_unique<PahoClient>();
//   client->set_message_handler([](const Message& m) { ... });   // on paho's thread
//   client->connect(options);
//   client->subscribe("tw/v1/...", 1);
//   client->publish({topic, payload, 1}, [](const Status& s) { ... });
//
// Differences from MosquittoClient that the contract allows:
// - Reconnect backoff is paho's: doubling from reconnect_min_ms to reconnect_max_ms,
//   rounded up to whole seconds, without jitter (paho has no jitter option).
// - Handlers run on paho's callback thread, shared by every paho client in the process.
// Every mqtt::exception is caught here and returned as a Status.
// Do not destroy a PahoClient from inside one of its own handlers (paho cannot destroy a
// client from its callback thread).
#include <memory>
#include <string>

#include "tidewire/common/metrics.hpp"
#include "tidewire/transport/transport.hpp"

namespace tidewire::transport {

struct PahoClientOptions {
  // tw_transport_* counters and gauges with backend="paho"; nullptr = not exported.
  MetricsRegistry* metrics = nullptr;
  Labels labels;
};

class PahoClient final : public Transport {
 public:
  explicit PahoClient(PahoClientOptions options = {});
  ~PahoClient() override;  // clean DISCONNECT (waits up to 2 s), no handler runs
  PahoClient(const PahoClient&) = delete;
  PahoClient& operator=(const PahoClient&) = delete;

  // Interface: Transport
  void set_message_handler(MessageHandler handler) override;
  void set_connection_handler(ConnectionHandler handler) override;
  Status connect(const ConnectOptions& options) override;
  void disconnect() override;
  bool is_connected() const override;
  Status subscribe(const std::string& filter, int qos) override;
  Status publish(Message message, PublishDone done = nullptr) override;
  int inflight() const override;
  std::vector<RefusedSubscription> refused_subscriptions() const override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tidewire::transport

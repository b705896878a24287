#pragma once
// MosquittoClient: the Transport contract (transport.hpp) on libmosquitto, driven by a
// MosquittoLoop. Only libmosquitto: this backend is the one built for the boards.
//
//   MosquittoLoop loop;
//   loop.start_thread();
//   auto random = make_os_seeded_random();           // reconnect jitter
//   auto client = std::make_unique<MosquittoClient>(loop, *random);
//   client->set_message_handler([](const Message& m) { ... });   // on the loop thread
//   client->connect(options);
//   client->subscribe("tw/v1/...", 1);
//   client->publish({topic, payload, 1}, [](const Status& s) { ... });  // PUBACK or error
//
// Connection states, all on the loop thread:
//   idle ──connect()──► connecting ──CONNACK──► up ──drop──► backoff ──timer──► connecting
//   connecting: a fresh libmosquitto handle, a non-blocking TCP connect, CONNECT queued.
//   up:         remembered subscriptions were re-sent before anything else is accepted.
//   drop:       pending QoS1 `done`s fail with kUnavailable and the handle is destroyed
//               (clean session: nothing of the old connection is kept or re-sent).
//   backoff:    a loop timer of uniform(0, min(reconnect_max_ms, reconnect_min_ms * 2^n)).
//   disconnect(): DISCONNECT is written (no will), then idle. The destructor does the same
//   without calling any handler.
//
// Threads: every method may be called from any thread; handlers and `done` callbacks run
// on the loop thread (a QoS0 `done` runs inside publish(), since nothing acknowledges it).
// Set the handlers before connect(). Off the loop thread, disconnect() and the destructor
// wait (up to 3 s) until the socket is closed; on the loop thread (e.g. inside a handler)
// they return at once and the loop finishes the teardown.
#include <memory>
#include <string>

#include "tidewire/common/metrics.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/transport/mosquitto_loop.hpp"
#include "tidewire/transport/transport.hpp"

namespace tidewire::transport {

struct MosquittoClientOptions {
  // tw_transport_* counters and gauges, shared by every client given the same registry and
  // labels (a simulated fleet adds up into one series). nullptr = not exported.
  MetricsRegistry* metrics = nullptr;
  Labels labels;
  // One INFO line per connection edge. A simulator with thousands of clients turns it off;
  // edges are then logged at DEBUG.
  bool log_edges = true;
  // Bound of libmosquitto's QoS0 send queue (which has none of its own): beyond it
  // publish() refuses QoS0 with kUnavailable ("send queue full") until the socket drains.
  int max_qos0_queued = 10'000;
};

class MosquittoClient final : public Transport {
 public:
  // `loop` and `random` must outlive the client.
  MosquittoClient(MosquittoLoop& loop, Random& random, MosquittoClientOptions options = {});
  ~MosquittoClient() override;
  MosquittoClient(const MosquittoClient&) = delete;
  MosquittoClient& operator=(const MosquittoClient&) = delete;

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

  // Drops the TCP connection without DISCONNECT, as a crash or a power cut would: the
  // broker publishes the will. The client stays down afterwards (like a dead process);
  // waits until the socket is closed unless called on the loop thread.
  void abort_for_test();

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tidewire::transport

#pragma once
// An in-memory Transport for unit tests of domain logic: records publishes, lets the
// test deliver messages, flip the connection, and complete or fail QoS1 publishes.
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "tidewire/transport/transport.hpp"

namespace tidewire::testing {

class FakeTransport : public transport::Transport {
 public:
  struct Sent {
    transport::Message message;
    PublishDone done;
  };

  // Interface: transport::Transport
  void set_message_handler(MessageHandler h) override { on_message_ = std::move(h); }
  void set_connection_handler(ConnectionHandler h) override { on_connection_ = std::move(h); }
  Status connect(const transport::ConnectOptions& o) override {
    options = o;
    return {};
  }
  void disconnect() override { set_connected(false); }
  bool is_connected() const override { return connected_; }
  Status subscribe(const std::string& filter, int) override {
    subscriptions.push_back(filter);
    return {};
  }
  Status publish(transport::Message m, PublishDone done) override {
    if (!connected_) return make_error(ErrorCode::kUnavailable, "not connected");
    if (m.qos > 0 && inflight() >= max_inflight) return make_error(ErrorCode::kUnavailable, "window full");
    if (m.qos == 0) {
      sent.push_back({std::move(m), nullptr});
      if (done) done(Status{});
    } else {
      sent.push_back({m, nullptr});
      pending.push_back({std::move(m), std::move(done)});
    }
    return {};
  }
  int inflight() const override { return static_cast<int>(pending.size()); }
  std::vector<transport::RefusedSubscription> refused_subscriptions() const override { return refused; }

  // Test controls.
  void set_connected(bool up) {
    if (up == connected_) return;
    connected_ = up;
    if (!up) {
      auto failed = std::move(pending);
      pending.clear();
      for (auto& p : failed)
        if (p.done) p.done(make_error(ErrorCode::kUnavailable, "connection lost"));
    }
    if (on_connection_) on_connection_(up);
  }
  void deliver(const std::string& topic, const std::string& payload) {
    if (on_message_) on_message_({topic, payload, 1, false});
  }
  // Acknowledges the oldest n pending QoS1 publishes.
  void ack(size_t n = SIZE_MAX) {
    while (n-- > 0 && !pending.empty()) {
      auto p = std::move(pending.front());
      pending.pop_front();
      if (p.done) p.done(Status{});
    }
  }
  std::vector<transport::Message> sent_on(const std::string& topic) const {
    std::vector<transport::Message> out;
    for (const auto& s : sent)
      if (s.message.topic == topic) out.push_back(s.message);
    return out;
  }

  transport::ConnectOptions options;
  std::vector<std::string> subscriptions;
  std::vector<Sent> sent;
  std::deque<Sent> pending;
  int max_inflight = 1000;
  std::vector<transport::RefusedSubscription> refused;  // what refused_subscriptions() reports

 private:
  MessageHandler on_message_;
  ConnectionHandler on_connection_;
  bool connected_ = false;
};

}  // namespace tidewire::testing

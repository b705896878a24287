#pragma once
// What an attacker of issue 9 holds: one MQTT connection with somebody's login (or none),
// and the project's own codec to write well-formed forgeries. Used by attack_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "process/process.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/credentials/login_file.hpp"
#include "tidewire/protocols/batch_frame.hpp"
#include "tidewire/protocols/codec.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/transport/mosquitto_client.hpp"
#include "tidewire/transport/mosquitto_loop.hpp"

namespace tidewire::testing {

inline constexpr int64_t kAttackWaitMs = 30'000;

// One MQTT connection recording everything delivered to it. Its own metrics say whether
// the broker refused it.
class MqttPeer {
 public:
  // `login` empty = anonymous.
  MqttPeer(transport::MosquittoLoop& loop, int port, const credentials::Login& login, const std::string& client_id,
           const std::vector<std::string>& filters = {})
      : client_(loop, random_, options()) {
    client_.set_message_handler([this](const transport::Message& m) {
      std::lock_guard lock(mu_);
      received_.push_back(m);
    });
    for (const auto& f : filters) EXPECT_TRUE(client_.subscribe(f, 1).ok()) << f;
    transport::ConnectOptions o;
    o.port = port;
    o.client_id = client_id;
    o.username = login.username;
    o.password = login.password;
    o.reconnect_min_ms = 50;
    o.reconnect_max_ms = 200;
    o.tcp_nodelay = true;
    EXPECT_TRUE(client_.connect(o).ok());
  }
  ~MqttPeer() { client_.disconnect(); }
  MqttPeer(const MqttPeer&) = delete;
  MqttPeer& operator=(const MqttPeer&) = delete;

  bool wait_connected() {
    return process::wait_until([&] { return client_.is_connected(); }, kAttackWaitMs);
  }
  // Turned away at least twice and never in: the broker says no, not a slow start.
  bool wait_refused() {
    return process::wait_until(
               [&] {
                 return metrics_.counter_value("tw_transport_connect_failures_total", {{"backend", "mosquitto"}}) >= 2;
               },
               kAttackWaitMs) &&
           !client_.is_connected();
  }
  // QoS1, and returns once the broker acknowledged it. The broker acknowledges a publish
  // its ACL drops too, so `true` says only that the broker is done with it: had it been
  // allowed, it would now be queued for every subscriber, ahead of anything published
  // after this returns.
  bool publish_acked(const std::string& topic, const std::string& payload) {
    auto done = std::make_shared<std::atomic<int>>(0);  // 1 acknowledged, 2 failed
    auto st = client_.publish({topic, payload, 1, false}, [done](const Status& s) { done->store(s ? 1 : 2); });
    if (!st) return false;
    return process::wait_until([&] { return done->load() != 0; }, kAttackWaitMs) && done->load() == 1;
  }
  // Everything delivered so far.
  std::vector<transport::Message> received() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  size_t count_on(const std::string& topic) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& m : received_) n += m.topic == topic ? 1 : 0;
    return n;
  }

 private:
  transport::MosquittoClientOptions options() {
    transport::MosquittoClientOptions o;
    o.metrics = &metrics_;
    o.log_edges = false;
    return o;
  }
  MetricsRegistry metrics_;
  SeededRandom random_{9};
  transport::MosquittoClient client_;
  mutable std::mutex mu_;
  std::vector<transport::Message> received_;
};

// A device message as the firmware writes it, with whatever identity the forger chooses.
inline v1::Envelope envelope_for(const topics::DeviceAddress& who, const std::string& boot, uint64_t seq) {
  v1::Envelope e;
  e.set_device_id(who.device_id);
  e.set_kind(who.kind);
  e.set_site(who.site);
  e.set_boot_id(boot);
  e.set_seq(seq);
  e.set_device_time_ms(1'700'000'000'000);
  return e;
}
inline v1::Envelope presence_of(const topics::DeviceAddress& who, const std::string& boot, bool online,
                                uint64_t session_seq) {
  v1::Envelope e = envelope_for(who, boot, 0);
  e.mutable_presence()->set_online(online);
  e.mutable_presence()->set_session_seq(session_seq);
  return e;
}
inline v1::Envelope event_of(const topics::DeviceAddress& who, const std::string& boot, uint64_t seq,
                             const std::string& type, uint64_t floor_seq = 0) {
  v1::Envelope e = envelope_for(who, boot, seq);
  e.mutable_event()->set_type(type);
  e.mutable_event()->set_outbox_floor_seq(floor_seq);
  return e;
}
inline v1::Envelope result_of(const topics::DeviceAddress& who, const std::string& boot, uint64_t seq,
                              const std::string& command_id) {
  v1::Envelope e = envelope_for(who, boot, seq);
  e.mutable_result()->set_command_id(command_id);
  e.mutable_result()->set_outcome(v1::COMMAND_OUTCOME_OK);
  e.mutable_result()->set_message("done");
  return e;
}
inline std::string topic_of(const topics::DeviceAddress& who, topics::Channel channel) {
  return *topics::device_topic(who, channel);
}
inline std::string edge_topic_of(const std::string& edge, topics::EdgeChannel channel) {
  return *topics::edge_topic(edge, channel);
}
// An uplink frame as an edge writes it, zstd-compressed.
// Items say they arrived a minute from now, so each is the newest the cloud has seen.
inline std::string batch_frame(const std::string& edge_id, const std::string& site, uint64_t batch_id,
                               const std::vector<v1::Envelope>& items) {
  const int64_t received_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count() +
                              60'000;
  v1::EdgeBatch b;
  b.set_edge_id(edge_id);
  b.set_site(site);
  b.set_batch_id(batch_id);
  b.set_edge_time_ms(1'700'000'000'000);
  for (const auto& e : items) {
    auto* item = b.add_items();
    *item->mutable_envelope() = e;
    item->set_edge_received_ms(received_ms);
  }
  return codec::encode_batch_frame(b, 3);
}

// Sum of the series of Prometheus counter or gauge `name` whose labels contain every
// fragment of `labels` (e.g. `reason="identity_mismatch"`); -1 if the scrape failed.
inline double metric_sum(const std::string& text, const std::string& name, const std::vector<std::string>& labels = {}) {
  double total = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    if (line[name.size()] != ' ' && line[name.size()] != '{') continue;
    bool all = true;
    for (const auto& l : labels) all = all && line.find(l) != std::string::npos;
    if (all) total += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

}  // namespace tidewire::testing

#pragma once
// InboxGateway: stands in for the apps of many recipients over a few MQTT connections,
// for loads that one machine cannot hold as one connection per app (a 100k-recipient
// tag fan-out: 100k connections need 300k descriptors here). Each connection holds the
// shared subscription "$share/<group>/tw/v1/push/+/inbox", so the broker spreads every
// recipient's notifications over the connections; for each new (recipient, notification)
// the gateway calls on_notification and publishes the DELIVERED receipt on that
// recipient's receipt topic, exactly as the recipient's own app would.
//
// What differs from real apps is only the broker's side (few sessions instead of one per
// app); the cloud does the same work per recipient: one publish, one receipt. There is no
// inbox sync and no per-app cursor: a gateway recipient has no offline time to catch up
// on. `serves` leaves some recipients to real PushApps on the same broker.
//
// Threads: one MosquittoLoop thread runs every connection and the handler (must not block).
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "tidewire/common/clock.hpp"
#include "tidewire/common/expected.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/transport/transport.hpp"
#include "tidewire/v1/push.pb.h"

namespace tidewire::transport {
class MosquittoLoop;
}

namespace tidewire::push_app {

struct InboxGatewayOptions {
  std::string broker_host = "127.0.0.1";
  int broker_port = 1883;
  transport::ConnectOptions::Tls tls;  // empty = plain TCP
  int connections = 16;
  std::string share_group = "tw-inbox-gateway";
  std::string client_id_prefix = "inbox-gateway-";
  int max_inflight = 256;  // receipts in flight per connection
  // A gateway principal's login (gateway.<id>: reads every inbox, writes every receipt
  // and sync; docs/security.md). Empty = anonymous.
  std::string username;
  std::string password;
  // Recipients this gateway answers for; null = all. Others' notifications are ignored
  // (their own app takes them).
  std::function<bool(const std::string& recipient)> serves;
};

struct InboxGatewayStats {
  uint64_t received = 0;    // inbox messages taken (for served recipients)
  uint64_t shown = 0;       // new (recipient, notification) pairs
  uint64_t duplicates = 0;  // re-sends of a pair already shown (receipted again, not shown)
  uint64_t ignored = 0;     // recipients left to their own apps
  uint64_t rejected = 0;    // undecodable, or naming another recipient than the topic
  uint64_t receipts_sent = 0;
  uint64_t receipt_retries = 0;  // publishes failed (down) and queued again
};

class InboxGateway {
 public:
  using NotificationHandler = std::function<void(const std::string& recipient, const v1::PushDelivery&)>;

  InboxGateway(InboxGatewayOptions options, Clock& clock, MetricsRegistry& metrics);
  ~InboxGateway();  // stop()
  InboxGateway(const InboxGateway&) = delete;
  InboxGateway& operator=(const InboxGateway&) = delete;

  void set_on_notification(NotificationHandler handler) { on_notification_ = std::move(handler); }  // before start()
  Status start();  // subscribes and connects every connection; online() says when they are up
  void stop();     // idempotent
  int online() const;
  InboxGatewayStats stats() const;

 private:
  struct Connection;
  void on_message(Connection& c, const transport::Message& m);
  void send_receipt(Connection& c, std::string topic, std::string payload);
  void flush(Connection& c);

  InboxGatewayOptions options_;
  Clock& clock_;
  MetricsRegistry& metrics_;
  NotificationHandler on_notification_;
  std::unique_ptr<Random> random_;
  std::unique_ptr<transport::MosquittoLoop> loop_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::unordered_set<std::string> seen_;  // "recipient/notification", loop thread only
  mutable std::mutex stats_mu_;
  InboxGatewayStats stats_;
  std::atomic<bool> stopping_{false};
};

}  // namespace tidewire::push_app

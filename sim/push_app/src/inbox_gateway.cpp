#include "tidewire/push_app/inbox_gateway.hpp"

#include "tidewire/common/log.hpp"
#include "tidewire/protocols/codec.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/push_app/push_app.hpp"
#include "tidewire/transport/mosquitto_client.hpp"
#include "tidewire/transport/mosquitto_loop.hpp"

namespace tidewire::push_app {

struct InboxGateway::Connection {
  std::unique_ptr<transport::MosquittoClient> client;
  std::atomic<bool> up{false};
  // Receipts the client refused (window full, down): sent again on the next PUBACK or up
  // edge. Loop thread only.
  std::deque<std::pair<std::string, std::string>> pending;
};

InboxGateway::InboxGateway(InboxGatewayOptions options, Clock& clock, MetricsRegistry& metrics)
    : options_(std::move(options)), clock_(clock), metrics_(metrics), random_(std::make_unique<SeededRandom>(11)) {}

InboxGateway::~InboxGateway() { stop(); }

Status InboxGateway::start() {
  if (loop_) return make_error(ErrorCode::kInvalidArgument, "inbox gateway: already started");
  if (options_.connections < 1) return make_error(ErrorCode::kInvalidArgument, "inbox gateway: connections must be >= 1");
  if (!topics::valid_id(options_.share_group)) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string("inbox gateway: share group must be ") + topics::kIdRule);
  }
  transport::MosquittoLoop::Options lo;
  lo.metrics = &metrics_;
  loop_ = std::make_unique<transport::MosquittoLoop>(lo);
  transport::MosquittoClientOptions co;
  co.metrics = &metrics_;
  co.log_edges = false;
  const std::string filter = "$share/" + options_.share_group + "/" + topics::push_inbox_filter();
  for (int i = 0; i < options_.connections; ++i) {
    auto c = std::make_unique<Connection>();
    c->client = std::make_unique<transport::MosquittoClient>(*loop_, *random_, co);
    Connection* raw = c.get();
    c->client->set_message_handler([this, raw](const transport::Message& m) { on_message(*raw, m); });
    c->client->set_connection_handler([this, raw](bool up) {
      raw->up = up;
      if (up) flush(*raw);
    });
    if (auto st = c->client->subscribe(filter, 1); !st) return st.error().with_context("inbox gateway subscribe");
    connections_.push_back(std::move(c));
  }
  if (auto st = loop_->start_thread(); !st) return st.error().with_context("inbox gateway loop");
  for (size_t i = 0; i < connections_.size(); ++i) {
    transport::ConnectOptions o;
    o.host = options_.broker_host;
    o.port = options_.broker_port;
    o.tls = options_.tls;
    o.client_id = options_.client_id_prefix + std::to_string(i);
    o.max_inflight = options_.max_inflight;
    o.tcp_nodelay = true;  // receipts follow PUBACKs, as in PushApp
    o.username = options_.username;
    o.password = options_.password;
    if (auto st = connections_[i]->client->connect(o); !st) return st.error().with_context("inbox gateway connect");
  }
  return {};
}

void InboxGateway::stop() {
  if (!loop_ || stopping_.exchange(true)) return;
  for (auto& c : connections_) c->client->disconnect();
  loop_->stop();
  connections_.clear();
  loop_.reset();
}

int InboxGateway::online() const {
  int n = 0;
  for (const auto& c : connections_) n += c->up.load() ? 1 : 0;
  return n;
}

InboxGatewayStats InboxGateway::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

void InboxGateway::on_message(Connection& c, const transport::Message& m) {
  auto topic = topics::parse_push_topic(m.topic);
  auto delivery = codec::decode<v1::PushDelivery>(m.payload, kMaxDeliveryBytes);
  bool ok = topic && topic->channel == topics::PushChannel::kInbox && delivery &&
            delivery->recipient_id() == topic->recipient_id && !delivery->notification_id().empty();
  if (!ok) {
    std::lock_guard lock(stats_mu_);
    ++stats_.rejected;
    return;
  }
  const std::string& recipient = topic->recipient_id;
  if (options_.serves && !options_.serves(recipient)) {
    std::lock_guard lock(stats_mu_);
    ++stats_.ignored;
    return;
  }
  bool fresh = seen_.insert(recipient + "/" + delivery->notification_id()).second;
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.received;
    ++(fresh ? stats_.shown : stats_.duplicates);
  }
  if (fresh && on_notification_) on_notification_(recipient, *delivery);
  // A duplicate is receipted again: the cloud re-sends only what it holds unreceipted.
  v1::PushReceipt r;
  r.set_notification_id(delivery->notification_id());
  r.set_kind(v1::RECEIPT_KIND_DELIVERED);
  r.set_at_ms(clock_.wall_ms());
  send_receipt(c, *topics::push_topic(recipient, topics::PushChannel::kReceipt), codec::encode(r));
}

void InboxGateway::send_receipt(Connection& c, std::string topic, std::string payload) {
  c.pending.emplace_back(std::move(topic), std::move(payload));  // in order behind any waiting
  flush(c);
}

void InboxGateway::flush(Connection& c) {
  while (!c.pending.empty()) {
    const auto& [topic, payload] = c.pending.front();
    auto st = c.client->publish({topic, payload, 1, false}, [this, &c, topic = topic, payload = payload](const Status& done) {
      {
        std::lock_guard lock(stats_mu_);
        ++(done ? stats_.receipts_sent : stats_.receipt_retries);
      }
      if (!done) c.pending.emplace_back(topic, payload);
      if (!stopping_.load()) flush(c);  // a PUBACK frees a window slot
    });
    if (!st) return;  // window full or down: the next PUBACK or up edge flushes again
    c.pending.pop_front();
  }
}

}  // namespace tidewire::push_app

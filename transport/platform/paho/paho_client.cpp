#include "tidewire/transport/paho_client.hpp"

#include "paho_client_impl.hpp"
#include "tidewire/common/log.hpp"

namespace tidewire::transport {
namespace paho_detail {

thread_local bool t_in_paho_callback = false;

Error paho_error(const mqtt::exception& e, const std::string& what) {
  ErrorCode code = ErrorCode::kIo;
  switch (e.get_return_code()) {
    case MQTTASYNC_DISCONNECTED:
    case MQTTASYNC_MAX_MESSAGES_INFLIGHT:
    case MQTTASYNC_MAX_BUFFERED_MESSAGES:
    case MQTTASYNC_NO_MORE_MSGIDS:
      code = ErrorCode::kUnavailable;
      break;
    case MQTTASYNC_BAD_UTF8_STRING:
    case MQTTASYNC_NULL_PARAMETER:
    case MQTTASYNC_BAD_STRUCTURE:
    case MQTTASYNC_BAD_QOS:
    case MQTTASYNC_BAD_PROTOCOL:
    case MQTTASYNC_BAD_MQTT_OPTION:
    case MQTTASYNC_0_LEN_WILL_TOPIC:
      code = ErrorCode::kInvalidArgument;
      break;
    default:
      break;
  }
  return make_error(code, what + ": " + e.what());
}


}  // namespace paho_detail

using namespace paho_detail;

Status PahoClient::Impl::connect(const ConnectOptions& o) {
  auto invalid = [](const std::string& m) { return make_error(ErrorCode::kInvalidArgument, "mqtt connect: " + m); };
  if (o.host.empty()) return invalid("host is empty");
  if (o.port <= 0 || o.port > 65535) return invalid("port " + std::to_string(o.port) + " is out of range");
  if (o.keepalive_s < 0 || o.keepalive_s > 65535) return invalid("keepalive_s must be 0..65535");
  if (o.max_inflight < 1 || o.max_inflight > 65535) return invalid("max_inflight must be 1..65535");
  if (o.reconnect_min_ms < 1 || o.reconnect_max_ms < o.reconnect_min_ms) {
    return invalid("need 1 <= reconnect_min_ms <= reconnect_max_ms");
  }
  if (o.will && (o.will->topic.empty() || o.will->qos < 0 || o.will->qos > 1)) {
    return invalid("will needs a topic and qos 0 or 1");
  }
  if (!o.uses_tls() && (!o.tls.cert_file.empty() || !o.tls.key_file.empty())) {
    return invalid("a client certificate needs tls.ca_file too");
  }
  std::string uri = (o.uses_tls() ? "ssl://" : "tcp://") + o.host + ":" + std::to_string(o.port);
  std::shared_ptr<mqtt::async_client> client;
  mqtt::connect_options opts;
  try {
    // No persistence: durability is the caller's outbox, not paho's files.
    // paho's default command buffer (100) refuses bursts of QoS0 publishes with -12 even
    // while connected (seen with the edge's device acks); our own window bounds QoS1.
    client = std::make_shared<mqtt::async_client>(uri, o.client_id, kMaxBufferedMessages,
                                                  static_cast<mqtt::iclient_persistence*>(nullptr));
    client->set_callback(*this);
    auto builder = mqtt::connect_options_builder()
                       .mqtt_version(MQTTVERSION_3_1_1)
                       .clean_session(true)
                       .keep_alive_interval(std::chrono::seconds(o.keepalive_s))
                       .connect_timeout(kConnectTimeout)
                       .automatic_reconnect(std::chrono::seconds(ceil_seconds(o.reconnect_min_ms)),
                                            std::chrono::seconds(ceil_seconds(o.reconnect_max_ms)))
                       .max_inflight(o.max_inflight);
    if (!o.username.empty()) builder.user_name(o.username).password(o.password);
    if (o.will) builder.will(mqtt::will_options(o.will->topic, o.will->payload, o.will->qos, o.will->retain));
    if (o.uses_tls()) {
      // Verify the broker's chain (server cert auth) and that its name matches the host.
      auto ssl = mqtt::ssl_options_builder()
                     .trust_store(o.tls.ca_file)
                     .enable_server_cert_auth(true)
                     .verify(true)
                     .ssl_version(MQTT_SSL_VERSION_TLS_1_2)
                     .finalize();
      if (!o.tls.cert_file.empty()) ssl.set_key_store(o.tls.cert_file);
      if (!o.tls.key_file.empty()) ssl.set_private_key(o.tls.key_file);
      builder.ssl(std::move(ssl));
    }
    opts = builder.finalize();
  } catch (const mqtt::exception& e) {
    return paho_error(e, "mqtt connect to " + uri);
  }
  std::shared_ptr<mqtt::async_client> previous;
  {
    std::lock_guard lock(mu_);
    if (closed_) return make_error(ErrorCode::kUnavailable, "mqtt connect: client is shutting down");
    if (want_connected_) return invalid("already connecting or connected; call disconnect() first");
    previous = std::move(client_);
    client_ = client;
    peer_ = o.host + ":" + std::to_string(o.port);
    host_ = o.host;
    port_ = o.port;
    nodelay_ = o.tcp_nodelay;
    max_inflight_ = o.max_inflight;
    want_connected_ = true;
  }
  if (previous) retire(std::move(previous));
  try {
    std::unique_lock serial(call_mu_, std::defer_lock);
    if (!t_in_paho_callback) serial.lock();
    client->connect(opts, nullptr, connect_listener_);
  } catch (const mqtt::exception& e) {
    std::lock_guard lock(mu_);
    want_connected_ = false;
    return paho_error(e, "mqtt connect to " + uri);
  }
  return {};
}

void PahoClient::Impl::disconnect() {
  std::shared_ptr<mqtt::async_client> client;
  {
    std::lock_guard lock(mu_);
    if (!want_connected_) return;
    want_connected_ = false;
    connected_ = false;  // publish() refuses from now on
    client = client_;
  }
  if (!client) return;
  try {
    // The listener reports the down edge on paho's thread, like every other handler.
    mqtt::token_ptr tok;
    {
      std::unique_lock serial(call_mu_, std::defer_lock);
      if (!t_in_paho_callback) serial.lock();
      tok = client->disconnect(0, nullptr, disconnect_listener_);
    }
    if (!t_in_paho_callback) tok->wait_for(kDisconnectWait);
  } catch (const mqtt::exception& e) {
    // Typically "not connected" while paho was between reconnect attempts; connected()
    // hangs up again should paho still get through.
    TW_DEBUG(kLog, "disconnect from " << peer_ << ": " << e.what());
    went_down("disconnected", false);
  }
}

void PahoClient::Impl::shutdown() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
  }
  muted_.store(true, std::memory_order_release);
  disconnect();
  std::shared_ptr<mqtt::async_client> client;
  {
    std::lock_guard lock(mu_);
    client = std::move(client_);
  }
  if (!client) return;
  if (t_in_paho_callback) {
    // paho cannot destroy a client from its own callback thread: keep it for good.
    TW_ERROR(kLog, "PahoClient destroyed from its own handler; its paho client is leaked");
    static std::mutex graveyard_mu;
    static std::vector<std::shared_ptr<mqtt::async_client>> graveyard;
    std::lock_guard lock(graveyard_mu);
    graveyard.push_back(std::move(client));
    graveyard.insert(graveyard.end(), retired_.begin(), retired_.end());
    retired_.clear();
    return;
  }
  retire(std::move(client));
  for (auto& c : retired_) {
    try {
      c->disable_callbacks();
    } catch (const mqtt::exception& e) {
      TW_DEBUG(kLog, "disable_callbacks: " << e.what());
    }
  }
  retired_.clear();  // MQTTAsync_destroy; no callback into us after this
}

void PahoClient::Impl::retire(std::shared_ptr<mqtt::async_client> client) {
  // Destroyed in shutdown(), off paho's thread; a client is only replaced by connect()
  // after disconnect(), so this list stays as short as the number of reconnect calls.
  std::lock_guard lock(mu_);
  retired_.push_back(std::move(client));
}

Status PahoClient::Impl::subscribe(const std::string& filter, int qos) {
  if (qos < 0 || qos > 1) return make_error(ErrorCode::kInvalidArgument, "subscribe: qos must be 0 or 1");
  if (filter.empty()) return make_error(ErrorCode::kInvalidArgument, "subscribe: empty topic filter");
  std::shared_ptr<mqtt::async_client> client;
  {
    std::lock_guard lock(mu_);
    if (closed_) return make_error(ErrorCode::kUnavailable, "subscribe: client is shutting down");
    bool known = false;
    for (auto& s : subscriptions_) {
      if (s.first == filter) {
        s.second = qos;
        known = true;
      }
    }
    if (!known) subscriptions_.emplace_back(filter, qos);
    if (!connected_) return {};  // sent from connected() on the next (re)connect
    client = client_;
  }
  try {
    std::unique_lock serial(call_mu_, std::defer_lock);
    if (!t_in_paho_callback) serial.lock();
    send_subscribe(*client, filter, qos);
  } catch (const mqtt::exception& e) {
    return paho_error(e, "subscribe " + filter);
  }
  return {};
}

Status PahoClient::Impl::publish(Message message, PublishDone done) {
  if (message.qos < 0 || message.qos > 1) {
    metrics_.rejected_invalid->inc();
    return make_error(ErrorCode::kInvalidArgument, "publish: qos must be 0 or 1");
  }
  std::shared_ptr<mqtt::async_client> client;
  uint64_t context = 0;
  {
    std::lock_guard lock(mu_);
    if (!connected_ || !client_) {
      metrics_.rejected_disconnected->inc();
      return make_error(ErrorCode::kUnavailable, "publish: not connected");
    }
    if (message.qos > 0) {
      if (static_cast<int>(pending_.size()) >= max_inflight_) {
        metrics_.rejected_window->inc();
        return make_error(ErrorCode::kUnavailable, "publish: window full (" + std::to_string(max_inflight_) +
                                                       " QoS1 messages unacknowledged)");
      }
      // Registered before paho sees the message: its ack may arrive before publish() returns.
      context = next_context_++;
      pending_.emplace(context, std::move(done));
      metrics_.inflight->add(1);
    }
    client = client_;
  }
  std::string topic = message.topic;
  try {
    auto msg = mqtt::make_message(std::move(message.topic), std::move(message.payload), message.qos, message.retain);
    std::unique_lock serial(call_mu_, std::defer_lock);
    if (!t_in_paho_callback) serial.lock();
    if (message.qos > 0) {
      client->publish(msg, to_context(context), publish_listener_);
    } else {
      client->publish(msg);
    }
  } catch (const mqtt::exception& e) {
    if (message.qos > 0) {
      std::lock_guard lock(mu_);
      // Already failed through its `done` by a connection drop: that was the answer.
      if (pending_.erase(context) == 0) return {};
      metrics_.inflight->add(-1);
    }
    metrics_.rejected_invalid->inc();
    return paho_error(e, "publish to '" + topic + "'");
  }
  metrics_.published->inc();
  if (message.qos == 0 && done) done(Status{});
  return {};
}

// ---------------------------------------------------------------- PahoClient

PahoClient::PahoClient(PahoClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
PahoClient::~PahoClient() = default;

void PahoClient::set_message_handler(MessageHandler handler) { impl_->set_message_handler(std::move(handler)); }
void PahoClient::set_connection_handler(ConnectionHandler handler) {
  impl_->set_connection_handler(std::move(handler));
}
Status PahoClient::connect(const ConnectOptions& options) { return impl_->connect(options); }
void PahoClient::disconnect() { impl_->disconnect(); }
bool PahoClient::is_connected() const { return impl_->is_connected(); }
Status PahoClient::subscribe(const std::string& filter, int qos) { return impl_->subscribe(filter, qos); }
Status PahoClient::publish(Message message, PublishDone done) {
  return impl_->publish(std::move(message), std::move(done));
}
int PahoClient::inflight() const { return impl_->inflight(); }
std::vector<RefusedSubscription> PahoClient::refused_subscriptions() const {
  return impl_->refused_subscriptions();
}

}  // namespace tidewire::transport

#include "tidewire/transport/mosquitto_client.hpp"

#include <cerrno>
#include <climits>
#include <cstring>

#include "mosquitto_client_impl.hpp"
#include "tidewire/common/log.hpp"

namespace tidewire::transport {
namespace mosquitto_detail {

Error mosq_error(int rc, const std::string& what) {
  ErrorCode code = ErrorCode::kIo;
  switch (rc) {
    case MOSQ_ERR_NO_CONN:
    case MOSQ_ERR_CONN_LOST:
      code = ErrorCode::kUnavailable;
      break;
    case MOSQ_ERR_PAYLOAD_SIZE:
    case MOSQ_ERR_OVERSIZE_PACKET:
      code = ErrorCode::kTooLarge;
      break;
    case MOSQ_ERR_INVAL:
    case MOSQ_ERR_MALFORMED_UTF8:
    case MOSQ_ERR_QOS_NOT_SUPPORTED:
      code = ErrorCode::kInvalidArgument;
      break;
    case MOSQ_ERR_NOMEM:
      code = ErrorCode::kInternal;
      break;
    default:
      break;
  }
  std::string reason = rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc);
  return make_error(code, what + ": " + reason);
}

}  // namespace mosquitto_detail

using namespace mosquitto_detail;

namespace {
std::once_flag g_lib_once;
}  // namespace

MosquittoClient::Impl::Impl(MosquittoLoop& loop, Random& random, MosquittoClientOptions options)
    : loop_(loop), random_(random), log_edges_(options.log_edges), max_qos0_queued_(options.max_qos0_queued),
      metrics_(bind_transport_metrics(options.metrics, std::move(options.labels), "mosquitto")) {
  std::call_once(g_lib_once, [] { mosquitto_lib_init(); });
}

MosquittoClient::Impl::~Impl() {
  if (mosq_) mosquitto_destroy(mosq_);
}

// ---------------------------------------------------------------- caller threads

Status MosquittoClient::Impl::connect(const ConnectOptions& o) {
  auto invalid = [](const std::string& m) { return make_error(ErrorCode::kInvalidArgument, "mqtt connect: " + m); };
  if (o.host.empty()) return invalid("host is empty");
  if (o.port <= 0 || o.port > 65535) return invalid("port " + std::to_string(o.port) + " is out of range");
  if (o.keepalive_s != 0 && (o.keepalive_s < 5 || o.keepalive_s > 65535)) {
    return invalid("keepalive_s must be 0 or 5..65535, got " + std::to_string(o.keepalive_s));
  }
  if (o.max_inflight < 1 || o.max_inflight > 65535) return invalid("max_inflight must be 1..65535");
  if (o.reconnect_min_ms < 1 || o.reconnect_max_ms < o.reconnect_min_ms) {
    return invalid("need 1 <= reconnect_min_ms <= reconnect_max_ms");
  }
  if (o.will) {
    if (o.will->qos < 0 || o.will->qos > 1) return invalid("will qos must be 0 or 1");
    if (mosquitto_pub_topic_check(o.will->topic.c_str()) != MOSQ_ERR_SUCCESS) {
      return invalid("will topic '" + o.will->topic + "' is not a valid topic name");
    }
  }
  {
    std::lock_guard lock(mu_);
    if (closed_) return make_error(ErrorCode::kUnavailable, "mqtt connect: client is shutting down");
    if (want_connected_) return invalid("already connecting or connected; call disconnect() first");
    options_ = o;
    max_inflight_ = o.max_inflight;
    want_connected_ = true;
  }
  request(kBegin);
  return {};
}

void MosquittoClient::Impl::disconnect() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    want_connected_ = false;
    connected_ = false;  // publish() refuses from now on
  }
  request(kDisconnect);
  if (loop_.running() && !loop_.in_loop_thread()) {
    wait_for([this] { return mosq_ == nullptr; });
  }
}

void MosquittoClient::Impl::abort_for_test() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    want_connected_ = false;
    connected_ = false;
  }
  request(kAbort);
  if (loop_.running() && !loop_.in_loop_thread()) {
    wait_for([this] { return mosq_ == nullptr; });
  }
}

void MosquittoClient::Impl::shutdown() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    want_connected_ = false;
    connected_ = false;
  }
  muted_.store(true, std::memory_order_release);
  if (!loop_.running()) {
    teardown_inline();
    return;
  }
  request(kDisconnect);
  if (loop_.in_loop_thread()) return;  // the loop finishes it; we are kept alive meanwhile
  if (!wait_for([this] { return finished_; })) {
    if (!loop_.running()) {
      teardown_inline();
    } else {
      TW_WARN(kLog, "client teardown for " << peer() << " still pending after 3 s; the loop will finish it");
    }
  }
}

bool MosquittoClient::Impl::wait_for(const std::function<bool()>& done) {
  std::unique_lock lock(mu_);
  return state_cv_.wait_for(lock, kCallerWait, done);
}

void MosquittoClient::Impl::request(uint32_t op) {
  // Only the first request since the loop last looked enqueues us; later ones just add
  // their bit. So a publishing thread costs the loop one wake-up per batch, not per message.
  if (ops_.fetch_or(op, std::memory_order_acq_rel) == 0) loop_.request_flush(shared_from_this());
}

Status MosquittoClient::Impl::subscribe(const std::string& filter, int qos) {
  if (qos < 0 || qos > 1) return make_error(ErrorCode::kInvalidArgument, "subscribe: qos must be 0 or 1");
  if (filter.empty() || mosquitto_sub_topic_check(filter.c_str()) != MOSQ_ERR_SUCCESS) {
    return make_error(ErrorCode::kInvalidArgument, "subscribe: '" + filter + "' is not a valid topic filter");
  }
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
    // Not connected: remembered, sent on the next CONNACK.
    if (!connected_ || !mosq_) return {};
    int rc = send_subscribe(mosq_, filter, qos);
    if (rc != MOSQ_ERR_SUCCESS) return mosq_error(rc, "subscribe " + filter);
  }
  request(kOutput);
  return {};
}

Status MosquittoClient::Impl::publish(Message message, PublishDone done) {
  if (message.qos < 0 || message.qos > 1) {
    metrics_.rejected_invalid->inc();
    return make_error(ErrorCode::kInvalidArgument, "publish: qos must be 0 or 1");
  }
  if (message.payload.size() > kMaxPayload) {
    metrics_.rejected_invalid->inc();
    return make_error(ErrorCode::kTooLarge, "publish: payload of " + std::to_string(message.payload.size()) +
                                                " bytes exceeds the MQTT limit");
  }
  {
    std::lock_guard lock(mu_);
    if (!connected_ || !mosq_) {
      metrics_.rejected_disconnected->inc();
      return make_error(ErrorCode::kUnavailable, "publish: not connected");
    }
    if (message.qos > 0 && static_cast<int>(pending_.size()) >= max_inflight_) {
      metrics_.rejected_window->inc();
      return make_error(ErrorCode::kUnavailable,
                        "publish: window full (" + std::to_string(max_inflight_) + " QoS1 messages unacknowledged)");
    }
    if (message.qos == 0 && qos0_queued_ >= max_qos0_queued_) {
      // libmosquitto's output queue has no bound of its own.
      metrics_.rejected_queue->inc();
      return make_error(ErrorCode::kUnavailable,
                        "publish: send queue full (" + std::to_string(max_qos0_queued_) + " QoS0 messages unwritten)");
    }
    int mid = 0;
    // libmosquitto copies the payload; in threaded mode it only queues, the loop writes.
    int rc = mosquitto_publish(mosq_, &mid, message.topic.c_str(), static_cast<int>(message.payload.size()),
                               message.payload.data(), message.qos, message.retain);
    if (rc != MOSQ_ERR_SUCCESS) {
      metrics_.rejected_invalid->inc();
      return mosq_error(rc, "publish to '" + message.topic + "'");
    }
    if (message.qos == 0) {
      ++qos0_queued_;
      metrics_.qos0_queued->add(1);
    } else {
      if (!pending_.insert(mid, std::move(done))) {
        // Only if 65535 ids wrapped while one message stayed unacknowledged.
        TW_ERROR(kLog, "packet id " << mid << " reused while still pending; its ack is ambiguous");
      } else {
        metrics_.inflight->add(1);
      }
    }
  }
  metrics_.published->inc();
  request(kOutput);
  if (message.qos == 0 && done) done(Status{});
  return {};
}

// ---------------------------------------------------------------- MosquittoClient

MosquittoClient::MosquittoClient(MosquittoLoop& loop, Random& random, MosquittoClientOptions options)
    : impl_(std::make_shared<Impl>(loop, random, std::move(options))) {}

MosquittoClient::~MosquittoClient() { impl_->shutdown(); }

void MosquittoClient::set_message_handler(MessageHandler handler) { impl_->set_message_handler(std::move(handler)); }
void MosquittoClient::set_connection_handler(ConnectionHandler handler) {
  impl_->set_connection_handler(std::move(handler));
}
Status MosquittoClient::connect(const ConnectOptions& options) { return impl_->connect(options); }
void MosquittoClient::disconnect() { impl_->disconnect(); }
bool MosquittoClient::is_connected() const { return impl_->is_connected(); }
Status MosquittoClient::subscribe(const std::string& filter, int qos) { return impl_->subscribe(filter, qos); }
std::vector<RefusedSubscription> MosquittoClient::refused_subscriptions() const {
  return impl_->refused_subscriptions();
}
Status MosquittoClient::publish(Message message, PublishDone done) {
  return impl_->publish(std::move(message), std::move(done));
}
int MosquittoClient::inflight() const { return impl_->inflight(); }
void MosquittoClient::abort_for_test() { impl_->abort_for_test(); }

}  // namespace tidewire::transport

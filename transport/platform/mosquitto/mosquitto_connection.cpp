// MosquittoClient's connection state machine: runs on the loop thread only (or on the
// caller's thread when the loop is not running at all). See mosquitto_client.hpp for the
// states.
#include <fcntl.h>
#include <sys/epoll.h>

#include <cerrno>
#include <cstring>

#include "mosquitto_client_impl.hpp"
#include "tidewire/common/log.hpp"

namespace tidewire::transport {

using namespace mosquitto_detail;

// ---------------------------------------------------------------- loop thread

void MosquittoClient::Impl::on_flush() {
  uint32_t ops = ops_.exchange(0, std::memory_order_acq_rel);
  if (ops & kAbort) abort_now();
  if (ops & kDisconnect) finish_disconnect();
  if (ops & kBegin) begin();
  if (ops & kOutput) pump();
}

void MosquittoClient::Impl::on_io(uint32_t events) {
  if (!mosq_ || fd_ < 0) return;
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    // mosquitto_loop_read() handles one packet per call when nothing is queued; keep
    // reading while the socket has data (errno EAGAIN says it is empty), bounded for fairness.
    for (int i = 0; i < kMaxReadsPerEvent; ++i) {
      errno = 0;
      int rc = mosquitto_loop_read(mosq_, 1);
      if (rc != MOSQ_ERR_SUCCESS || dropped_ || errno == EAGAIN || errno == EWOULDBLOCK) break;
    }
  }
  pump();
}

void MosquittoClient::Impl::on_misc() {
  if (!mosq_ || fd_ < 0) return;
  mosquitto_loop_misc(mosq_);  // PINGREQ when due; closes a connection whose broker went quiet
  pump();
}

void MosquittoClient::Impl::begin() {
  ConnectOptions o;
  {
    std::lock_guard lock(mu_);
    if (!want_connected_ || closed_) return;
    o = options_;
  }
  cancel_timer(reconnect_timer_);
  if (mosq_) {
    // connect() right after disconnect() while the old DISCONNECT is still unwritten:
    // close the old connection now (edges and pending callbacks as for any drop).
    dropped_ = true;
    handle_drop(/*may_reconnect=*/false);
  }
  host_ = o.host;
  port_ = o.port;
  failed_attempts_ = 0;
  backoff_.emplace(o.reconnect_min_ms, o.reconnect_max_ms, random_);
  if (slot_ == MosquittoLoop::kNoSlot) {
    slot_ = loop_.attach(this);
    self_ref_ = shared_from_this();
  }
  start_attempt();
}

Status MosquittoClient::Impl::configure(mosquitto* m, const ConnectOptions& o) {
  // Threaded mode: mosquitto_publish() from any thread only queues; this loop writes.
  mosquitto_threaded_set(m, true);
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, o.tcp_nodelay ? 1 : 0);
  // Same bound as our own window: libmosquitto scans its in-flight list per ack, so an
  // unbounded window collapses throughput (measured ~35k -> ~2k msg/s).
  mosquitto_max_inflight_messages_set(m, static_cast<unsigned int>(o.max_inflight));
  if (o.will) {
    int rc = mosquitto_will_set(m, o.will->topic.c_str(), static_cast<int>(o.will->payload.size()),
                                o.will->payload.data(), o.will->qos, o.will->retain);
    if (rc != MOSQ_ERR_SUCCESS) return mosq_error(rc, "will");
  }
  if (!o.username.empty()) {
    int rc = mosquitto_username_pw_set(m, o.username.c_str(), o.password.empty() ? nullptr : o.password.c_str());
    if (rc != MOSQ_ERR_SUCCESS) return mosq_error(rc, "username");
  }
  if (o.uses_tls()) {
    auto file_or_null = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    int rc = mosquitto_tls_set(m, o.tls.ca_file.c_str(), nullptr, file_or_null(o.tls.cert_file),
                               file_or_null(o.tls.key_file), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return mosq_error(rc, "tls files (ca, cert, key: readable PEM?)");
    // Verify the broker's certificate chain and its name; TLS 1.2 at least.
    rc = mosquitto_tls_opts_set(m, 1, "tlsv1.2", nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return mosq_error(rc, "tls options");
  }
  mosquitto_connect_callback_set(m, &Impl::on_connect_cb);
  mosquitto_disconnect_callback_set(m, &Impl::on_disconnect_cb);
  mosquitto_publish_callback_set(m, &Impl::on_publish_cb);
  mosquitto_message_callback_set(m, &Impl::on_message_cb);
  mosquitto_subscribe_callback_set(m, &Impl::on_subscribe_cb);
  return {};
}

void MosquittoClient::Impl::start_attempt() {
  reconnect_timer_ = 0;
  ConnectOptions o;
  {
    std::lock_guard lock(mu_);
    if (!want_connected_ || closed_) return;
    o = options_;
  }
  if (mosq_) release_handle();
  metrics_.connect_attempts->inc();
  // A fresh handle per attempt: clean session, and nothing of the previous connection
  // (queued QoS1 messages, packet ids) is re-sent behind the caller's back.
  mosquitto* m = mosquitto_new(o.client_id.empty() ? nullptr : o.client_id.c_str(), true, this);
  if (!m) {
    TW_WARN(kLog, "mosquitto_new failed: " << std::strerror(errno));
    metrics_.connect_failures->inc();
    schedule_reconnect();
    return;
  }
  if (auto st = configure(m, o); !st) {
    TW_WARN(kLog, "cannot configure client for " << peer() << ": " << st.error().describe());
    mosquitto_destroy(m);
    metrics_.connect_failures->inc();
    schedule_reconnect();
    return;
  }
  {
    std::lock_guard lock(mu_);
    mosq_ = m;
  }
  // Non-blocking: returns with the TCP connect in progress and CONNECT queued, so one
  // unreachable broker never stalls the loop. (A host name is still resolved here,
  // synchronously: use addresses for fleets.)
  int rc = mosquitto_connect_async(m, o.host.c_str(), o.port, o.keepalive_s);
  if (rc == MOSQ_ERR_SUCCESS) {
    fd_ = mosquitto_socket(m);
    // Not inherited by processes we spawn (a child would keep a dead connection open).
    if (fd_ >= 0) ::fcntl(fd_, F_SETFD, FD_CLOEXEC);
    if (fd_ < 0 || !loop_.watch(slot_, fd_, true)) {
      fd_ = -1;
      rc = MOSQ_ERR_NO_CONN;
    }
  }
  if (rc != MOSQ_ERR_SUCCESS) {
    drop_reason_ = mosq_error(rc, "connect").message;
    release_handle();
    metrics_.connect_failures->inc();
    schedule_reconnect();
    return;
  }
  write_interest_ = true;
  pump();
}

void MosquittoClient::Impl::pump() {
  if (mosq_ && fd_ >= 0 && !dropped_ && mosquitto_want_write(mosq_)) mosquitto_loop_write(mosq_, 1);
  reconcile_fd();
  if (dropped_) {
    handle_drop();
    return;
  }
  if (mosq_ && fd_ >= 0) {
    bool want = mosquitto_want_write(mosq_);
    if (want != write_interest_ && loop_.set_write_interest(slot_, fd_, want)) write_interest_ = want;
  }
}

void MosquittoClient::Impl::reconcile_fd() {
  // libmosquitto closes the socket itself on errors; the kernel then dropped it from the
  // epoll set, and the number may already belong to someone else: forget it, no DEL.
  if (fd_ >= 0 && (!mosq_ || mosquitto_socket(mosq_) != fd_)) {
    fd_ = -1;
    write_interest_ = false;
  }
}

void MosquittoClient::Impl::handle_drop(bool may_reconnect) {
  dropped_ = false;
  ledger_.connection_lost();
  cancel_timer(closing_timer_);
  bool was_closing = closing_;
  closing_ = false;
  std::vector<PublishDone> failed;
  int unwritten;
  {
    std::lock_guard lock(mu_);
    connected_ = false;
    pending_.take_all(failed);
    unwritten = std::exchange(qos0_queued_, 0);  // gone with the handle
  }
  release_handle();
  metrics_.qos0_queued->add(-unwritten);
  if (!failed.empty()) {
    metrics_.inflight->add(-static_cast<int64_t>(failed.size()));
    metrics_.failed->inc(failed.size());
  }
  bool was_up = reported_up_;
  if (was_up) {
    reported_up_ = false;
    metrics_.connected->add(-1);
    if (!was_closing) metrics_.connections_lost->inc();
  } else if (!was_closing) {
    metrics_.connect_failures->inc();  // refused, reset or timed out before CONNACK
  }
  bool muted = muted_.load(std::memory_order_acquire);
  if (!muted) {
    Status err = make_error(ErrorCode::kUnavailable, was_closing ? "disconnected" : "connection lost");
    for (auto& done : failed) {
      if (done) done(err);
    }
    if (was_up && on_connection_) on_connection_(false);
  }
  bool reconnect;
  {
    std::lock_guard lock(mu_);
    reconnect = may_reconnect && want_connected_ && !closed_;
  }
  if (was_up && !was_closing) {
    if (log_edges_) {
      TW_INFO(kLog, "lost connection to " << peer() << " (" << drop_reason_ << "), " << failed.size()
                                          << " unacknowledged QoS1 messages failed"
                                          << (reconnect ? "; reconnecting" : ""));
    } else {
      TW_DEBUG(kLog, "lost connection to " << peer() << " (" << drop_reason_ << ")");
    }
  }
  if (reconnect) {
    schedule_reconnect();
  } else if (may_reconnect) {
    maybe_finish();
  }
}

void MosquittoClient::Impl::schedule_reconnect() {
  if (!backoff_) return;
  int64_t delay = backoff_->next_delay_ms();
  ++failed_attempts_;
  // First failure of a series and then every tenth: a broker down at 3 a.m. is visible
  // without a line per attempt per device.
  if (failed_attempts_ > 1 && (failed_attempts_ == 2 || failed_attempts_ % 10 == 0) && log_edges_) {
    TW_WARN(kLog, "cannot reach " << peer() << " (" << drop_reason_ << "), attempt " << failed_attempts_ - 1
                                  << "; next in " << delay << " ms");
  } else {
    TW_DEBUG(kLog, "reconnecting to " << peer() << " in " << delay << " ms");
  }
  reconnect_timer_ = loop_.schedule(delay, [self = shared_from_this()] { self->start_attempt(); });
}

void MosquittoClient::Impl::cancel_timer(MosquittoLoop::TimerId& id) {
  if (id != 0) loop_.cancel(id);
  id = 0;
}

void MosquittoClient::Impl::release_handle() {
  reconcile_fd();
  if (fd_ >= 0) loop_.unwatch(fd_);  // still open: destroy below closes it
  fd_ = -1;
  write_interest_ = false;
  mosquitto* m;
  {
    std::lock_guard lock(mu_);
    m = mosq_;
    mosq_ = nullptr;
  }
  // Publishers only touch the handle under mu_, so nobody uses it any more.
  if (m) mosquitto_destroy(m);
  state_cv_.notify_all();
}

void MosquittoClient::Impl::finish_disconnect() {
  cancel_timer(reconnect_timer_);
  if (!mosq_) {
    maybe_finish();
    return;
  }
  if (closing_) return;
  closing_ = true;
  if (fd_ < 0) {
    dropped_ = true;
    handle_drop();
    return;
  }
  // libmosquitto writes DISCONNECT, then closes the socket and reports the disconnect,
  // which handle_drop() turns into the down edge.
  mosquitto_disconnect(mosq_);
  pump();
  if (mosq_ && closing_) {
    closing_timer_ = loop_.schedule(kDisconnectGraceMs, [self = shared_from_this()] {
      self->closing_timer_ = 0;
      if (!self->mosq_) return;
      TW_WARN(kLog, "DISCONNECT to " << self->peer() << " not written within " << kDisconnectGraceMs
                                     << " ms; closing the socket");
      self->dropped_ = true;
      self->handle_drop();
    });
  }
}

void MosquittoClient::Impl::abort_now() {
  cancel_timer(reconnect_timer_);
  if (!mosq_) {
    maybe_finish();
    return;
  }
  // Destroying the handle closes the socket without DISCONNECT: the broker sees a dead
  // connection and publishes the will.
  drop_reason_ = "aborted for test";
  dropped_ = true;
  handle_drop();
}

void MosquittoClient::Impl::teardown_inline() {
  // The loop is not running, so nothing else touches the loop-thread state.
  cancel_timer(reconnect_timer_);
  cancel_timer(closing_timer_);
  if (mosq_ && fd_ >= 0) {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_write(mosq_, 1);
  }
  release_handle();
  std::vector<PublishDone> dropped;
  int unwritten;
  {
    std::lock_guard lock(mu_);
    pending_.take_all(dropped);
    unwritten = std::exchange(qos0_queued_, 0);
  }
  metrics_.qos0_queued->add(-unwritten);
  if (!dropped.empty()) metrics_.inflight->add(-static_cast<int64_t>(dropped.size()));
  if (reported_up_) {
    reported_up_ = false;
    metrics_.connected->add(-1);
  }
  maybe_finish();
}

void MosquittoClient::Impl::maybe_finish() {
  {
    std::lock_guard lock(mu_);
    if (!closed_) return;
    finished_ = true;
  }
  if (slot_ != MosquittoLoop::kNoSlot) {
    loop_.detach(slot_);
    slot_ = MosquittoLoop::kNoSlot;
  }
  state_cv_.notify_all();
  // Our last reference may be this one: hand it to the loop to drop after this call
  // stack has unwound, never while one of our methods is still running.
  if (self_ref_) loop_.request_flush(std::move(self_ref_));
}

// ---------------------------------------------------------------- libmosquitto callbacks
// Called from inside mosquitto_loop_read/write/misc on the loop thread. They must not
// destroy the handle; anything structural is left to pump()/handle_drop().

void MosquittoClient::Impl::on_connect_cb(mosquitto* m, void* obj, int rc) {
  auto* self = static_cast<Impl*>(obj);
  if (rc != 0) {
    // libmosquitto reports the failed read next, which becomes a drop and a retry.
    self->drop_reason_ = std::string("broker refused: ") + mosquitto_connack_string(rc);
    TW_WARN(kLog, self->peer() << " refused the connection: " << mosquitto_connack_string(rc));
    return;
  }
  {
    std::lock_guard lock(self->mu_);
    if (!self->want_connected_) return;  // disconnect() raced with the CONNACK
    // Subscriptions go out before connected_ flips, so nothing published after the up
    // edge can overtake them on this connection.
    for (const auto& [filter, qos] : self->subscriptions_) {
      int src = self->send_subscribe(m, filter, qos);
      if (src != MOSQ_ERR_SUCCESS) TW_WARN(kLog, "re-subscribe " << filter << ": " << mosquitto_strerror(src));
    }
    self->connected_ = true;
  }
  if (self->backoff_) self->backoff_->reset();
  self->failed_attempts_ = 0;
  self->reported_up_ = true;
  self->metrics_.connected->add(1);
  if (self->log_edges_) {
    TW_INFO(kLog, "connected to " << self->peer());
  } else {
    TW_DEBUG(kLog, "connected to " << self->peer());
  }
  if (self->on_connection_ && !self->muted_.load(std::memory_order_acquire)) self->on_connection_(true);
}

int MosquittoClient::Impl::send_subscribe(mosquitto* m, const std::string& filter, int qos) {
  int mid = 0;
  int rc = mosquitto_subscribe(m, &mid, filter.c_str(), qos);
  if (rc == MOSQ_ERR_SUCCESS) ledger_.sent(static_cast<uint64_t>(mid), filter, qos);
  return rc;
}

void MosquittoClient::Impl::on_subscribe_cb(mosquitto*, void* obj, int mid, int count, const int* granted) {
  auto* self = static_cast<Impl*>(obj);
  // One filter per SUBSCRIBE, so one code per SUBACK.
  self->ledger_.answered(static_cast<uint64_t>(mid), count > 0 && granted ? granted[0] : kSubackFailure);
}

void MosquittoClient::Impl::on_disconnect_cb(mosquitto*, void* obj, int rc) {
  auto* self = static_cast<Impl*>(obj);
  self->dropped_ = true;
  self->ledger_.connection_lost();
  if (rc == MOSQ_ERR_ERRNO) {
    self->drop_reason_ = std::strerror(errno);
  } else if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_CONN_REFUSED) {
    self->drop_reason_ = mosquitto_strerror(rc);
  }
}

void MosquittoClient::Impl::on_publish_cb(mosquitto*, void* obj, int mid) {
  auto* self = static_cast<Impl*>(obj);
  PublishDone done;
  bool found;
  bool qos0_written = false;
  {
    std::lock_guard lock(self->mu_);
    found = self->pending_.take(mid, done);
    // A QoS0 message reports here once written to the socket; it was never pending.
    if (!found && self->qos0_queued_ > 0) {
      --self->qos0_queued_;
      qos0_written = true;
    }
  }
  if (!found) {
    if (qos0_written) self->metrics_.qos0_queued->add(-1);
    return;
  }
  self->metrics_.acked->inc();
  self->metrics_.inflight->add(-1);
  if (done && !self->muted_.load(std::memory_order_acquire)) done(Status{});
}

void MosquittoClient::Impl::on_message_cb(mosquitto*, void* obj, const mosquitto_message* msg) {
  auto* self = static_cast<Impl*>(obj);
  self->metrics_.received->inc();
  if (!self->on_message_ || self->muted_.load(std::memory_order_acquire)) return;
  Message m;
  if (msg->topic) m.topic = msg->topic;
  if (msg->payloadlen > 0) m.payload.assign(static_cast<const char*>(msg->payload), static_cast<size_t>(msg->payloadlen));
  m.qos = msg->qos;
  m.retain = msg->retain;
  self->on_message_(m);
}

}  // namespace tidewire::transport

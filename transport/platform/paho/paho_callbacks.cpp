// What paho calls on its own callback thread.
#include "paho_client_impl.hpp"
#include "socket_nodelay.hpp"
#include "tidewire/common/log.hpp"

namespace tidewire::transport {

using namespace paho_detail;

void PahoClient::Impl::publish_finished(const mqtt::token& tok, bool ok) {
  PublishDone done;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(from_context(tok.get_user_context()));
    if (it == pending_.end()) return;  // failed earlier by a connection drop
    done = std::move(it->second);
    pending_.erase(it);
  }
  metrics_.inflight->add(-1);
  if (ok) {
    metrics_.acked->inc();
  } else {
    metrics_.failed->inc();
  }
  if (!done || muted_.load(std::memory_order_acquire)) return;
  if (ok) {
    done(Status{});
  } else {
    done(make_error(ErrorCode::kUnavailable, "publish failed (paho rc " + std::to_string(tok.get_return_code()) + ")"));
  }
}

void PahoClient::Impl::connect_failed(const mqtt::token& tok) {
  metrics_.connect_failures->inc();
  // paho keeps retrying (automatic reconnect); this only says the first try failed.
  TW_WARN(kLog, "cannot reach " << peer_ << " (paho rc " << tok.get_return_code() << "); retrying");
}

void PahoClient::Impl::connected(const std::string&) {
  CallbackScope scope;
  std::string host;
  int port = 0;
  bool nodelay = false;
  {
    std::lock_guard lock(mu_);
    host = host_;
    port = port_;
    nodelay = nodelay_;
  }
  if (nodelay) {
    size_t n = set_nodelay_on_sockets_to(host, port);
    TW_DEBUG(kLog, "TCP_NODELAY set on " << n << " socket(s) to " << host << ":" << port);
  }
  {
    std::lock_guard lock(mu_);
    if (!client_) return;
    if (!want_connected_) {
      // disconnect() found paho between attempts, and paho got through anyway.
      try {
        client_->disconnect(0);
      } catch (const mqtt::exception& e) {
        TW_DEBUG(kLog, "late disconnect: " << e.what());
      }
      return;
    }
    // Re-subscribe before connected_ flips, so nothing this client publishes after the up
    // edge overtakes its subscriptions.
    for (const auto& [filter, qos] : subscriptions_) {
      try {
        send_subscribe(*client_, filter, qos);
      } catch (const mqtt::exception& e) {
        TW_WARN(kLog, "re-subscribe " << filter << ": " << e.what());
      }
    }
    connected_ = true;
    if (reported_up_) return;
    reported_up_ = true;
  }
  metrics_.connected->add(1);
  TW_INFO(kLog, "connected to " << peer_);
  if (on_connection_ && !muted_.load(std::memory_order_acquire)) on_connection_(true);
}

void PahoClient::Impl::send_subscribe(mqtt::async_client& client, const std::string& filter, int qos) {
  uint64_t context = next_subscribe_context_.fetch_add(1, std::memory_order_relaxed);
  ledger_.sent(context, filter, qos);
  client.subscribe(filter, qos, to_context(context), subscribe_listener_);
}

void PahoClient::Impl::SubscribeListener::on_success(const mqtt::token& tok) {
  CallbackScope scope;
  int granted = kSubackFailure;
  try {
    const auto codes = tok.get_subscribe_response().get_reason_codes();
    if (!codes.empty()) granted = static_cast<int>(codes.front());
  } catch (const mqtt::exception& e) {
    // paho had no SUBACK to show: nothing to judge.
    TW_DEBUG(kLog, "subscribe answered without a response: " << e.what());
    return;
  }
  owner.ledger_.answered(from_context(tok.get_user_context()), granted);
}

void PahoClient::Impl::SubscribeListener::on_failure(const mqtt::token& tok) {
  CallbackScope scope;
  int code = tok.get_return_code();
  if (code == MQTT_BAD_SUBSCRIBE || static_cast<int>(tok.get_reason_code()) >= kSubackFailure) {
    owner.ledger_.answered(from_context(tok.get_user_context()), kSubackFailure);
  }
  // Otherwise no SUBACK came (the connection dropped); connected() subscribes again.
}

void PahoClient::Impl::connection_lost(const std::string& cause) {
  CallbackScope scope;
  ledger_.connection_lost();
  went_down(cause.empty() ? "connection lost" : cause, true);
}

void PahoClient::Impl::went_down(const std::string& why, bool lost) {
  std::vector<PublishDone> failed;
  bool was_up;
  {
    std::lock_guard lock(mu_);
    connected_ = false;
    was_up = reported_up_;
    reported_up_ = false;
    failed.reserve(pending_.size());
    for (auto& [context, done] : pending_) failed.push_back(std::move(done));
    pending_.clear();
  }
  if (!failed.empty()) {
    metrics_.inflight->add(-static_cast<int64_t>(failed.size()));
    metrics_.failed->inc(failed.size());
  }
  if (was_up) {
    metrics_.connected->add(-1);
    if (lost) {
      metrics_.connections_lost->inc();
      TW_INFO(kLog, "lost connection to " << peer_ << " (" << why << "), " << failed.size()
                                          << " unacknowledged QoS1 messages failed; paho reconnects");
    }
  }
  if (muted_.load(std::memory_order_acquire)) return;
  Status err = make_error(ErrorCode::kUnavailable, lost ? "connection lost" : "disconnected");
  for (auto& done : failed) {
    if (done) done(err);
  }
  if (was_up && on_connection_) on_connection_(false);
}

void PahoClient::Impl::message_arrived(mqtt::const_message_ptr msg) {
  CallbackScope scope;
  metrics_.received->inc();
  if (!msg || !on_message_ || muted_.load(std::memory_order_acquire)) return;
  Message m;
  m.topic = msg->get_topic();
  m.payload = msg->get_payload_str();
  m.qos = msg->get_qos();
  m.retain = msg->is_retained();
  on_message_(m);
}

}  // namespace tidewire::transport

#include "tidewire/firmware/device_session.hpp"

#include <sstream>
#include <utility>

#include "session_internal.hpp"
#include "tidewire/protocols/codec.hpp"

namespace tidewire::firmware {

using session_internal::kLog;

log::Level DeviceSession::routine(log::Level level) const {
  return options_.quiet ? log::Level::kDebug : level;
}

std::string make_boot_id(Random& random) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t v = random.uniform(0, UINT64_MAX);
  std::string out(16, '0');
  for (char& c : out) {
    c = kHex[v & 0xf];
    v >>= 4;
  }
  return out;
}

Expected<std::unique_ptr<DeviceSession>> DeviceSession::create(SessionOptions options, SessionDeps deps) {
  const auto& a = options.address;
  if (deps.hal.kind() != a.kind) {
    return make_error(ErrorCode::kInvalidArgument, std::string("the HAL drives a ") +
                                                       topics::kind_name(deps.hal.kind()) + " but the device is a " +
                                                       topics::kind_name(a.kind));
  }
  if (options.boot_id.empty()) return make_error(ErrorCode::kInvalidArgument, "boot id is empty");
  if (options.max_unacked == 0) return make_error(ErrorCode::kInvalidArgument, "max_unacked must be at least 1");
  Topics t;
  const std::pair<std::string*, topics::Channel> channels[] = {
      {&t.status, topics::Channel::kStatus},     {&t.event, topics::Channel::kEvent},
      {&t.presence, topics::Channel::kPresence}, {&t.result, topics::Channel::kResult},
      {&t.command, topics::Channel::kCommand},   {&t.ack, topics::Channel::kAck}};
  for (const auto& [out, channel] : channels) {
    auto topic = topics::device_topic(a, channel);
    if (!topic) return topic.error().with_context("device '" + a.device_id + "' at site '" + a.site + "'");
    *out = std::move(*topic);
  }
  if (options.connect.client_id.empty()) options.connect.client_id = a.device_id;
  return std::unique_ptr<DeviceSession>(new DeviceSession(std::move(options), deps, std::move(t)));
}

DeviceSession::DeviceSession(SessionOptions options, SessionDeps deps, Topics topics)
    : options_(std::move(options)),
      transport_(deps.transport),
      outbox_(deps.outbox),
      hal_(deps.hal),
      clock_(deps.clock),
      metrics_(deps.metrics),
      topics_(std::move(topics)),
      backoff_(options_.connect.reconnect_min_ms, options_.connect.reconnect_max_ms, deps.random),
      life_(std::make_shared<DeviceSession*>(this)),
      drops_logged_(outbox_.stats().dropped_total()) {}

DeviceSession::~DeviceSession() = default;

std::function<void(const Status&)> DeviceSession::done_callback(std::function<void(DeviceSession&, const Status&)> fn) {
  std::weak_ptr<DeviceSession*> weak = life_;
  return [weak, fn = std::move(fn)](const Status& st) {
    if (auto self = weak.lock()) fn(**self, st);
  };
}

Status DeviceSession::start() {
  if (state_ != State::kIdle) return make_error(ErrorCode::kInvalidArgument, "session already started");
  std::weak_ptr<DeviceSession*> weak = life_;
  transport_.set_connection_handler([weak](bool up) {
    if (auto self = weak.lock()) up ? (*self)->on_connected() : (*self)->on_disconnected();
  });
  transport_.set_message_handler([weak](const transport::Message& m) {
    if (auto self = weak.lock()) (*self)->on_message(m);
  });
  int64_t now = clock_.steady_ms();
  next_poll_ms_ = now;
  next_expire_ms_ = now;
  // Transports remember subscriptions and re-apply them on every connection (the
  // transport contract), so once is enough; a refusal is retried on connect.
  subscribe();
  TW_LOG(routine(), kLog,
         device_id() << ": starting as " << topics::kind_name(options_.address.kind) << " at site "
                     << options_.address.site << " (boot " << boot_id() << "), outbox holds " << outbox_.stats().rows
                     << " rows from seq " << outbox_.floor_seq());
  connect_now();
  return {};
}

void DeviceSession::subscribe() {
  subscribed_ = true;
  for (const auto& [filter, qos] : {std::pair{topics_.command, 1}, std::pair{topics_.ack, 0}}) {
    if (auto st = transport_.subscribe(filter, qos); !st) {
      subscribed_ = false;
      TW_WARN(kLog, device_id() << ": subscribe " << filter << " failed: " << st.error().describe());
    }
  }
}

v1::Envelope DeviceSession::envelope() const {
  v1::Envelope e;
  e.set_device_id(options_.address.device_id);
  e.set_kind(options_.address.kind);
  e.set_site(options_.address.site);
  e.set_boot_id(options_.boot_id);
  e.set_device_time_ms(clock_.wall_ms());
  return e;
}

void DeviceSession::connect_now() {
  auto seq = outbox_.next_session_seq();
  if (!seq) {
    TW_ERROR(kLog, device_id() << ": cannot allocate a presence session: " << seq.error().describe());
    schedule_renew(backoff_.next_delay_ms());
    return;
  }
  session_seq_ = *seq;
  transport::ConnectOptions opts = options_.connect;
  v1::Envelope will = envelope();
  will.mutable_presence()->set_online(false);
  will.mutable_presence()->set_session_seq(session_seq_);
  opts.will = transport::Message{topics_.presence, codec::encode(will), 1, false};
  if (auto st = transport_.connect(opts); !st) {
    int64_t delay = backoff_.next_delay_ms();
    TW_WARN(kLog, device_id() << ": connect to " << opts.host << ":" << opts.port << " failed ("
                              << st.error().describe() << "); retrying in " << delay << " ms");
    schedule_renew(delay);
    return;
  }
  state_ = State::kConnecting;
  TW_DEBUG(kLog,
           device_id() << ": connecting to " << opts.host << ":" << opts.port << " (session " << session_seq_ << ")");
}

void DeviceSession::schedule_renew(int64_t delay_ms) {
  state_ = State::kRenewing;
  renew_at_ms_ = clock_.steady_ms() + delay_ms;
}

void DeviceSession::on_connected() {
  if (state_ == State::kStopping || state_ == State::kStopped) return;
  if (state_ != State::kConnecting) {
    // The transport reconnected on its own, registering the will of a session that was
    // already used; a new session needs a new will, so start over.
    metrics_.stale_reconnects.inc();
    TW_LOG(routine(), kLog, device_id() << ": transport reconnected with a used will; renewing the session");
    need_disconnect_ = true;
    schedule_renew(0);
    return;
  }
  int64_t now = clock_.steady_ms();
  state_ = State::kOnline;
  need_disconnect_ = true;  // this will is now used: a later reconnect must renew it
  connected_since_ms_ = now;
  metrics_.connections.inc();
  metrics_.set_connected(true);
  TW_LOG(routine(), kLog,
         device_id() << ": connected to " << options_.connect.host << ":" << options_.connect.port << " (session "
                     << session_seq_ << "); outbox holds " << outbox_.stats().rows << " rows from seq "
                     << outbox_.floor_seq());
  if (!subscribed_) subscribe();
  presence_pending_ = true;
  send_online_presence();
  // Everything unacked is sent again on a new connection: the old one may have lost it.
  sent_.clear();
  metrics_.set_unacked(0);
  cursor_ = 0;
  publish_status(hal_.status());
  pump();
}

void DeviceSession::on_disconnected() {
  sent_.clear();
  metrics_.set_unacked(0);
  presence_pending_ = false;
  if (state_ == State::kStopping) {
    metrics_.set_connected(false);
    return;
  }
  // A connection that never became ours (stale will) or our own disconnect: nothing new.
  if (state_ != State::kOnline) return;
  int64_t lasted = clock_.steady_ms() - connected_since_ms_;
  metrics_.disconnects.inc();
  metrics_.set_connected(false);
  if (lasted >= options_.stable_connection_ms) backoff_.reset();
  int64_t delay = backoff_.next_delay_ms();
  TW_LOG(routine(log::Level::kWarn), kLog,
         device_id() << ": connection lost after " << lasted / 1000 << " s; reconnecting in " << delay
                     << " ms with a new session; " << outbox_.stats().rows << " rows wait in the outbox");
  need_disconnect_ = true;
  schedule_renew(delay);
}

void DeviceSession::tick() {
  if (state_ == State::kIdle || state_ == State::kStopped) return;
  int64_t now = clock_.steady_ms();
  if (state_ == State::kRenewing) {
    if (need_disconnect_) {
      need_disconnect_ = false;
      transport_.disconnect();
    }
    if (state_ == State::kRenewing && now >= renew_at_ms_) connect_now();
  }
  if (now >= next_poll_ms_) {
    next_poll_ms_ = now + options_.poll_interval_ms;
    poll_hal();
  }
  if (now >= next_expire_ms_) {
    next_expire_ms_ = now + options_.expire_interval_ms;
    auto expired = outbox_.expire();
    if (!expired && store_log_.allow(now))
      TW_ERROR(kLog, device_id() << ": outbox age drop failed: " << expired.error().describe());
    note_drops();
  }
  if (state_ != State::kOnline) return;
  if (presence_pending_) send_online_presence();
  if (last_status_ms_ < 0 || now - last_status_ms_ >= options_.status_interval_ms) publish_status(hal_.status());
  check_resend_timeout();
  pump();
}

void DeviceSession::send_online_presence() {
  v1::Envelope env = envelope();
  env.mutable_presence()->set_online(true);
  env.mutable_presence()->set_session_seq(session_seq_);
  if (auto st = transport_.publish({topics_.presence, codec::encode(env), 1, false}); !st) {
    metrics_.publish_failed(Published::kPresence);
    return;  // still pending: retried on the next tick
  }
  presence_pending_ = false;
  metrics_.published(Published::kPresence);
}

void DeviceSession::poll_hal() {
  scratch_events_.clear();
  hal_.poll(scratch_events_);
  for (const auto& e : scratch_events_) (void)record_event(e);
  settle_pending();
  if (state_ != State::kOnline || !last_status_ || last_status_ms_ < 0) return;
  if (clock_.steady_ms() - last_status_ms_ < options_.status_min_interval_ms) return;
  v1::Status now = hal_.status();
  if (hal_.significant_change(*last_status_, now)) publish_status(now);
}

void DeviceSession::publish_status(const v1::Status& status) {
  int64_t now = clock_.steady_ms();
  // Even a failed attempt waits for the next interval: status is latest-wins, and the
  // next one will be fresher anyway.
  last_status_ms_ = now;
  v1::Envelope env = envelope();
  *env.mutable_status() = status;
  if (auto valid = codec::validate_envelope(env); !valid) {
    metrics_.publish_failed(Published::kStatus);
    if (store_log_.allow(now)) TW_WARN(kLog, device_id() << ": HAL status not sent: " << valid.error().message);
    return;
  }
  if (auto st = transport_.publish({topics_.status, codec::encode(env), 0, false}); !st) {
    metrics_.publish_failed(Published::kStatus);
    return;
  }
  metrics_.published(Published::kStatus);
  last_status_ = status;
}

void DeviceSession::begin_shutdown() {
  if (state_ == State::kStopping || state_ == State::kStopped) return;
  bool was_online = state_ == State::kOnline;
  state_ = State::kStopping;
  offline_acked_ = true;
  if (!was_online) return;
  v1::Envelope env = envelope();
  env.mutable_presence()->set_online(false);
  env.mutable_presence()->set_session_seq(session_seq_);
  auto st = transport_.publish({topics_.presence, codec::encode(env), 1, false},
                               done_callback([](DeviceSession& self, const Status&) { self.offline_acked_ = true; }));
  if (!st) {
    metrics_.publish_failed(Published::kPresence);
    TW_WARN(kLog, device_id() << ": stopping; offline presence not sent (" << st.error().describe() << ")");
    return;
  }
  offline_acked_ = false;
  metrics_.published(Published::kPresence);
  TW_LOG(routine(), kLog, device_id() << ": stopping; published offline presence (session " << session_seq_ << ")");
}

bool DeviceSession::shutdown_settled() const {
  if (!transport_.is_connected()) return true;
  return offline_acked_ && transport_.inflight() == 0;
}

void DeviceSession::finish_shutdown() {
  if (state_ == State::kStopped) return;
  state_ = State::kStopped;
  transport_.disconnect();
  metrics_.set_connected(false);
  TW_LOG(routine(), kLog,
         device_id() << ": disconnected; outbox keeps " << outbox_.stats().rows << " rows for the next start");
}

std::string DeviceSession::summary() const {
  static constexpr const char* kStates[] = {"idle", "connecting", "online", "reconnecting", "stopping", "stopped"};
  OutboxStats s = outbox_.stats();
  std::ostringstream os;
  os << device_id() << " " << kStates[static_cast<int>(state_)] << " session=" << session_seq_
     << " outbox_rows=" << s.rows << " outbox_bytes=" << s.bytes << " floor=" << outbox_.floor_seq()
     << " last_seq=" << outbox_.last_seq() << " unacked=" << sent_.size() << " appended=" << s.appended
     << " acked=" << s.acked << " dropped=" << s.dropped_total();
  return os.str();
}

}  // namespace tidewire::firmware

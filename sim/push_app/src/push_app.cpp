#include "tidewire/push_app/push_app.hpp"

#include <algorithm>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "push_app_metrics.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/protocols/codec.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::push_app {
namespace {

constexpr const char* kLog = "push-app";
// One WARN line per app per interval for rejected input; the rest only counted.
constexpr int64_t kRejectLogIntervalMs = 10'000;

}  // namespace

class PushApp::Core : public std::enable_shared_from_this<Core> {
 public:
  Core(const PushAppOptions& options, const PushAppDeps& deps, std::string inbox_topic, std::string receipt_topic,
       std::string sync_topic)
      : options_(options),
        transport_(deps.transport),
        clock_(deps.clock),
        random_(deps.random),
        metrics_(deps.metrics),
        inbox_topic_(std::move(inbox_topic)),
        receipt_topic_(std::move(receipt_topic)),
        sync_topic_(std::move(sync_topic)) {
    cursor_ = options.initial_cursor;
  }

  void attach() {
    std::weak_ptr<Core> weak = weak_from_this();
    transport_.set_message_handler([weak](const transport::Message& m) {
      if (auto core = weak.lock()) core->on_message(m);
    });
    transport_.set_connection_handler([weak](bool up) {
      if (auto core = weak.lock()) core->on_connection(up);
    });
  }

  const std::string& inbox_topic() const { return inbox_topic_; }
  transport::Transport& transport() { return transport_; }

  // ---- transport callbacks ----

  void on_connection(bool up) {
    uint64_t after = 0;
    {
      std::lock_guard lock(mu_);
      online_ = up;
      if (!up) return;
      ++stats_.connects;
      after = cursor_;
    }
    // The inbox subscription was re-applied before this up edge (transport contract), and
    // the broker handles one connection's packets in order, so the answers find it.
    send_sync(after);
    flush_pending();
  }

  void on_message(const transport::Message& message) {
    auto topic = topics::parse_push_topic(message.topic);
    if (!topic || topic->channel != topics::PushChannel::kInbox || topic->recipient_id != options_.recipient_id) {
      return reject("bad_topic", "message on " + message.topic);
    }
    auto delivery = codec::decode<v1::PushDelivery>(message.payload, kMaxDeliveryBytes);
    if (!delivery) {
      return reject(delivery.error().code == ErrorCode::kTooLarge ? "oversize" : "malformed", delivery.error().message);
    }
    if (delivery->recipient_id() != options_.recipient_id) {
      return reject("wrong_recipient", "delivery for '" + delivery->recipient_id() + "'");
    }
    if (delivery->notification_id().empty() || delivery->inbox_seq() == 0) {
      return reject("invalid_field", "delivery without notification_id or inbox_seq");
    }
    const std::string& id = delivery->notification_id();
    NotificationHandler show;
    bool fresh = false;
    bool opened = false;
    {
      std::lock_guard lock(mu_);
      auto [it, inserted] = seen_.try_emplace(id, false);
      fresh = inserted;
      if (!fresh) {
        ++stats_.duplicates;
        metrics_.duplicates.inc();
        opened = it->second;
      } else {
        remember_order(id);
        file_in_inbox(*delivery);
        cursor_ = std::max(cursor_, delivery->inbox_seq());
        ++stats_.received;
        metrics_.received.inc();
        if (delivery->from_sync()) {
          ++stats_.received_from_sync;
          metrics_.received_from_sync.inc();
        }
        show = on_notification_;
      }
    }
    if (!fresh) {
      // The cloud re-sends only what it holds unreceipted: our receipts were lost.
      send_receipt(id, v1::RECEIPT_KIND_DELIVERED);
      if (opened) send_receipt(id, v1::RECEIPT_KIND_OPENED);
      return;
    }
    if (show) show(*delivery);
    send_receipt(id, v1::RECEIPT_KIND_DELIVERED);
    if (options_.auto_open_probability > 0 && random_.unit() < options_.auto_open_probability) (void)open(id);
  }

  // ---- public operations ----

  Status open(const std::string& id) {
    {
      std::lock_guard lock(mu_);
      auto it = seen_.find(id);
      if (it == seen_.end()) {
        return make_error(ErrorCode::kNotFound, "open: notification '" + id + "' was not received by " +
                                                    options_.recipient_id + " (or is too old to remember)");
      }
      if (it->second) return {};
      it->second = true;
      ++stats_.opened;
    }
    send_receipt(id, v1::RECEIPT_KIND_OPENED);
    return {};
  }

  void flush_pending() {
    // One receipt at a time, without the lock: publish may call back on another thread.
    while (true) {
      v1::PushReceipt receipt;
      {
        std::lock_guard lock(mu_);
        if (!online_ || pending_.empty()) return;
        receipt = std::move(pending_.front());
        pending_.pop_front();
      }
      if (!publish_receipt(receipt)) return;  // queued again; the next PUBACK or up edge retries
    }
  }

  const PushAppOptions options_;
  NotificationHandler on_notification_;
  mutable std::mutex mu_;
  bool online_ = false;
  uint64_t cursor_ = 0;
  std::vector<v1::PushDelivery> inbox_;
  std::unordered_map<std::string, bool> seen_;  // notification id -> opened
  std::deque<std::string> seen_order_;
  std::deque<v1::PushReceipt> pending_;
  PushAppStats stats_;

 private:
  // seen_ already holds id; forgets the oldest ids beyond the bound.
  void remember_order(const std::string& id) {
    seen_order_.push_back(id);
    while (seen_order_.size() > options_.dedupe_ids) {
      seen_.erase(seen_order_.front());
      seen_order_.pop_front();
    }
  }

  void file_in_inbox(const v1::PushDelivery& delivery) {
    auto at = std::upper_bound(inbox_.begin(), inbox_.end(), delivery.inbox_seq(),
                               [](uint64_t seq, const v1::PushDelivery& d) { return seq < d.inbox_seq(); });
    inbox_.insert(at, delivery);
    if (inbox_.size() > options_.inbox_limit) {
      inbox_.erase(inbox_.begin());
      metrics_.inbox_evicted.inc();
    }
  }

  void send_sync(uint64_t after_seq) {
    v1::InboxSync sync;
    sync.set_after_seq(after_seq);
    std::weak_ptr<Core> weak = weak_from_this();
    auto st = transport_.publish({sync_topic_, codec::encode(sync), 1, false}, [weak](const Status& done) {
      auto core = weak.lock();
      if (!core) return;
      if (!done) {
        core->metrics_.sync_failures.inc();
        return;
      }
      core->metrics_.syncs.inc();
      std::lock_guard lock(core->mu_);
      ++core->stats_.syncs_sent;
    });
    if (!st) {
      // Disconnected again already: the next up edge syncs.
      metrics_.sync_failures.inc();
      TW_DEBUG(kLog, options_.recipient_id << ": sync not sent: " << st.error().describe());
    } else {
      log_line(options_.recipient_id + ": connected, syncing inbox after seq " + std::to_string(after_seq));
    }
  }

  void send_receipt(const std::string& id, v1::ReceiptKind kind) {
    v1::PushReceipt receipt;
    receipt.set_notification_id(id);
    receipt.set_kind(kind);
    receipt.set_at_ms(clock_.wall_ms());
    if (publish_receipt(receipt)) flush_pending();
  }

  // True if handed to the transport; else the receipt is back in the pending queue.
  bool publish_receipt(const v1::PushReceipt& receipt) {
    std::weak_ptr<Core> weak = weak_from_this();
    auto st = transport_.publish({receipt_topic_, codec::encode(receipt), 1, false}, [weak,
                                                                                      receipt](const Status& done) {
      auto core = weak.lock();
      if (!core) return;
      if (!done) {
        core->requeue(receipt);
        return;
      }
      (receipt.kind() == v1::RECEIPT_KIND_OPENED ? core->metrics_.opened_receipts : core->metrics_.delivered_receipts)
          .inc();
      {
        std::lock_guard lock(core->mu_);
        ++core->stats_.receipts_sent;
      }
      core->flush_pending();  // the window has room again
    });
    if (st) return true;
    requeue(receipt);
    return false;
  }

  void requeue(const v1::PushReceipt& receipt) {
    metrics_.receipt_retries.inc();
    std::lock_guard lock(mu_);
    if (pending_.size() >= options_.max_pending_receipts) {
      pending_.pop_front();
      ++stats_.receipts_dropped;
      metrics_.receipts_dropped.inc();
    }
    pending_.push_back(receipt);
  }

  void reject(const char* reason, const std::string& detail) {
    metrics_.rejected(reason).inc();
    uint64_t suppressed = 0;
    {
      std::lock_guard lock(mu_);
      ++stats_.rejected;
      int64_t now = clock_.steady_ms();
      if (last_reject_log_ms_ >= 0 && now - last_reject_log_ms_ < kRejectLogIntervalMs) {
        ++rejects_unlogged_;
        return;
      }
      last_reject_log_ms_ = now;
      suppressed = rejects_unlogged_;
      rejects_unlogged_ = 0;
    }
    std::string line = options_.recipient_id + ": dropped inbox message (" + reason + "): " + detail;
    if (suppressed > 0) line += " (" + std::to_string(suppressed) + " more since the last line)";
    if (options_.quiet) {
      TW_DEBUG(kLog, line);
    } else {
      TW_WARN(kLog, line);
    }
  }

  void log_line(const std::string& line) {
    if (options_.quiet) {
      TW_DEBUG(kLog, line);
    } else {
      TW_INFO(kLog, line);
    }
  }

  transport::Transport& transport_;
  Clock& clock_;
  Random& random_;
  PushAppMetrics metrics_;
  const std::string inbox_topic_;
  const std::string receipt_topic_;
  const std::string sync_topic_;
  int64_t last_reject_log_ms_ = -1;
  uint64_t rejects_unlogged_ = 0;
};

Expected<std::unique_ptr<PushApp>> PushApp::create(const PushAppOptions& options, const PushAppDeps& deps) {
  if (!topics::valid_id(options.recipient_id)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "push app: recipient id '" + options.recipient_id + "' must be " + topics::kIdRule);
  }
  if (options.dedupe_ids == 0 || options.inbox_limit == 0 || options.max_pending_receipts == 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "push app: dedupe_ids, inbox_limit and max_pending_receipts must be at least 1");
  }
  if (!(options.auto_open_probability >= 0 && options.auto_open_probability <= 1)) {
    return make_error(ErrorCode::kInvalidArgument, "push app: auto_open_probability must be in [0, 1]");
  }
  auto inbox = topics::push_topic(options.recipient_id, topics::PushChannel::kInbox);
  auto receipt = topics::push_topic(options.recipient_id, topics::PushChannel::kReceipt);
  auto sync = topics::push_topic(options.recipient_id, topics::PushChannel::kSync);
  if (!inbox) return inbox.error().with_context("push app");
  if (!receipt) return receipt.error().with_context("push app");
  if (!sync) return sync.error().with_context("push app");
  auto core = std::make_shared<Core>(options, deps, *inbox, *receipt, *sync);
  core->attach();
  return std::unique_ptr<PushApp>(new PushApp(std::move(core)));
}

PushApp::PushApp(std::shared_ptr<Core> core) : core_(std::move(core)) {}
PushApp::~PushApp() = default;

void PushApp::set_on_notification(NotificationHandler handler) {
  std::lock_guard lock(core_->mu_);
  core_->on_notification_ = std::move(handler);
}

Status PushApp::start(const transport::ConnectOptions& options) {
  if (auto st = core_->transport().subscribe(core_->inbox_topic(), 1); !st) {
    return st.error().with_context("push app " + core_->options_.recipient_id + ": subscribe");
  }
  transport::ConnectOptions connect = options;
  connect.tcp_nodelay = true;  // a receipt right after a PUBACK must not wait 40 ms for it
  if (auto st = core_->transport().connect(connect); !st) {
    return st.error().with_context("push app " + core_->options_.recipient_id + ": connect");
  }
  return {};
}

void PushApp::stop() {
  core_->transport().disconnect();
  std::lock_guard lock(core_->mu_);
  core_->online_ = false;
}

Status PushApp::open(const std::string& notification_id) {
  return core_->open(notification_id);
}

const std::string& PushApp::recipient_id() const {
  return core_->options_.recipient_id;
}

bool PushApp::online() const {
  std::lock_guard lock(core_->mu_);
  return core_->online_;
}

uint64_t PushApp::cursor() const {
  std::lock_guard lock(core_->mu_);
  return core_->cursor_;
}

std::vector<v1::PushDelivery> PushApp::inbox() const {
  std::lock_guard lock(core_->mu_);
  return core_->inbox_;
}

PushAppStats PushApp::stats() const {
  std::lock_guard lock(core_->mu_);
  return core_->stats_;
}

size_t PushApp::pending_receipts() const {
  std::lock_guard lock(core_->mu_);
  return core_->pending_.size();
}

}  // namespace tidewire::push_app

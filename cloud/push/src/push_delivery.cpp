// PushService, the delivery side: fan-out, sends and re-sends, expiry, receipts, syncs.

#include <algorithm>
#include <cmath>
#include <map>

#include "tidewire/common/log.hpp"
#include "tidewire/protocols/json.hpp"
#include "tidewire/protocols/topics.hpp"
#include "tidewire/push/push_service.hpp"
#include "tidewire/push/push_store.hpp"

namespace tidewire::push {
namespace {

constexpr const char* kLog = "push";
constexpr size_t kMaxUplinkBytes = 1024;  // a receipt or a sync is a few dozen bytes
constexpr size_t kSyncLimit = 500;        // notifications re-sent per sync request
constexpr size_t kMaxBuckets = 200'000;   // rate-limit state, forgotten when full

v1::PushDelivery to_wire(const StoredNotification& n, const Delivery& d) {
  v1::PushDelivery p;
  p.set_notification_id(n.id);
  p.set_recipient_id(d.recipient_id);
  p.set_inbox_seq(d.inbox_seq);
  p.set_title(n.request.title());
  p.set_body(n.request.body());
  *p.mutable_data() = n.request.data();
  p.set_priority(n.request.priority());
  p.set_created_ms(n.created_ms);
  p.set_expires_ms(n.expires_ms);
  p.set_collapse_key(n.request.collapse_key());
  return p;
}

bool live(v1::DeliveryState s) {
  return s == v1::DELIVERY_STATE_QUEUED || s == v1::DELIVERY_STATE_SENT;
}

}  // namespace

int64_t PushService::retry_delay_ms(uint32_t attempts, bool silent) {
  // Full jitter over an exponentially growing ceiling; a silent recipient waits the cap.
  int64_t ceiling = options_.retry_base_ms;
  for (uint32_t i = 1; i < attempts && ceiling < options_.retry_cap_ms; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, options_.retry_cap_ms);
  if (silent) return options_.retry_cap_ms;
  // At least half the ceiling, so a quick app's receipt usually arrives before a re-send.
  return ceiling / 2 + static_cast<int64_t>(random_.uniform(0, static_cast<uint64_t>(ceiling / 2)));
}

void PushService::tick_locked() {
  drain_inbound_locked();
  int64_t now = clock_.wall_ms();
  fan_out_locked();
  expire_locked(now);
  send_due_locked(now);
  // Counting live rows costs a walk of them (100k in a big fan-out): at most once a tick
  // period, however often receipts wake the thread.
  if (now - gauge_at_ms_ >= options_.tick_ms) {
    gauge_at_ms_ = now;
    if (auto live_count = store_.count_live(); live_count) {
      metrics_.live_deliveries.set(static_cast<int64_t>(*live_count));
    }
  }
}

void PushService::fan_out_locked() {
  auto pending = store_.pending_fanouts(4);
  if (!pending) {
    TW_WARN(kLog, "cannot read pending fan-outs: " << pending.error().message);
    return;
  }
  size_t budget = options_.fanout_chunk;
  for (auto& n : *pending) {
    if (budget == 0) break;
    std::vector<std::string> tags(n.request.tags().begin(), n.request.tags().end());
    auto ids = store_.recipients_with_tags(tags, n.fanout_cursor, budget);
    if (!ids) {
      TW_WARN(kLog, "fan-out of " << n.id << ": " << ids.error().message);
      return;
    }
    budget -= ids->size();
    if (!ids->empty()) n.fanout_cursor = ids->back();
    n.fanout_done = budget > 0;  // fewer than asked: the tag is exhausted
    auto queued = store_.queue(n, *ids, clock_.wall_ms(), false);
    if (!queued) {
      TW_WARN(kLog, "fan-out of " << n.id << " not stored (retried next tick): " << queued.error().message);
      return;
    }
    metrics_.fanout_recipients.inc(*queued);
    if (n.fanout_done) TW_INFO(kLog, "fan-out of " << n.id << " done");
  }
}

void PushService::expire_locked(int64_t now) {
  auto expired = store_.expire(now, options_.send_batch);
  if (!expired) {
    TW_WARN(kLog, "expiry sweep failed: " << expired.error().message);
    return;
  }
  if (expired->empty()) return;
  metrics_.expired.inc(expired->size());
  // Consecutive expiries without any receipt: a recipient that never answers is marked
  // silent (reported in GET /v1/recipients/{id}, re-sent only at the cap), not hammered.
  std::map<std::string, uint32_t> per_recipient;
  for (const auto& d : *expired) ++per_recipient[d.recipient_id];
  for (const auto& [rid, n] : per_recipient) {
    auto r = store_.recipient(rid);
    if (!r || !*r) continue;
    uint32_t streak = (*r)->unreceipted_streak() + n;
    bool silent = streak >= options_.silent_after;
    if (silent && !(*r)->silent()) {
      metrics_.silent_recipients.inc();
      TW_WARN(kLog,
              "recipient " << rid << " let " << streak << " notifications expire without a receipt: marked silent");
    }
    (void)store_.set_streak(rid, streak, silent);
  }
}

bool PushService::take_token_locked(const std::string& recipient) {
  auto it = buckets_.find(recipient);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxBuckets) buckets_.clear();  // forgotten: a full burst again
    it = buckets_.try_emplace(recipient, options_.rate_per_recipient_s, options_.burst_per_recipient, clock_).first;
  }
  return it->second.try_take(1);
}

void PushService::send_due_locked(int64_t now) {
  auto due = store_.due(now, options_.send_batch);
  if (!due) {
    TW_WARN(kLog, "cannot read due deliveries: " << due.error().message);
    return;
  }
  if (due->empty()) return;
  std::map<std::string, std::optional<StoredNotification>> notifications;
  std::map<std::string, std::optional<v1::Recipient>> recipients;
  // The tick's state changes in one commit. A crash before it re-sends this tick's
  // deliveries after the restart: duplicates the apps drop, never a loss.
  auto tx = store_.begin();
  for (auto& d : *due) {
    auto& n = notifications[d.notification_id];
    if (!n) {
      auto got = store_.notification(d.notification_id);
      if (got && *got) n = **got;
    }
    auto& r = recipients[d.recipient_id];
    if (!r) {
      auto got = store_.recipient(d.recipient_id);
      if (got && *got) r = **got;
    }
    if (!n || !r) {  // the recipient was deleted meanwhile
      d.state = v1::DELIVERY_STATE_FAILED;
      d.ended_ms = now;
      d.detail = "recipient or notification gone";
      (void)store_.update(d);
      continue;
    }
    if (!take_token_locked(d.recipient_id)) {
      metrics_.rate_limited.inc();
      d.next_ms = now + static_cast<int64_t>(std::ceil(1000.0 / options_.rate_per_recipient_s));
      (void)store_.update(d);
      continue;
    }
    v1::PushDelivery wire = to_wire(*n, d);
    const bool webhook = !r->webhook_url().empty();
    Status sent;
    if (webhook) {
      if (webhooks_ == nullptr) {
        sent = make_error(ErrorCode::kUnavailable, "no webhook sender configured");
      } else {
        std::string json = protocols::to_json(wire);
        std::string nid = d.notification_id, rid = d.recipient_id;
        sent = webhooks_->post(r->webhook_url(), std::move(json),
                               {{"Idempotency-Key", nid}, {"X-Tidewire-Recipient", rid}},
                               [this, nid, rid](bool ok, bool permanent, const std::string& detail) {
                                 on_webhook_result(nid, rid, ok, permanent, detail);
                               });
      }
    } else {
      auto topic = topics::push_topic(d.recipient_id, topics::PushChannel::kInbox);
      sent = topic ? mqtt_.publish({*topic, wire.SerializeAsString(), 1, false}) : Status(topic.error());
    }
    if (!sent) {
      // Not handed over, not counted as an attempt. The MQTT client refuses when its
      // in-flight window is full or the broker is down: the rest of this tick would be
      // refused too, so stop here and leave them due for the next tick, in order. A
      // refused webhook post (its queue full) waits the base delay.
      metrics_.send_failed(webhook).inc();
      d.detail = sent.error().message;
      if (!webhook) {
        (void)store_.update(d);
        break;
      }
      d.next_ms = now + options_.retry_base_ms;
      (void)store_.update(d);
      continue;
    }
    metrics_.sent(webhook).inc();
    if (d.attempts > 0) metrics_.resends.inc();
    d.state = v1::DELIVERY_STATE_SENT;
    d.attempts += 1;
    d.sent_ms = now;
    d.next_ms = now + retry_delay_ms(d.attempts, r->silent());
    if (auto st = store_.update(d); !st) TW_WARN(kLog, "cannot record a send: " << st.error().message);
  }
  if (auto st = tx->commit(); !st) TW_WARN(kLog, "sends not recorded (re-sent later): " << st.error().message);
}

void PushService::on_webhook_result(const std::string& nid, const std::string& rid, bool ok, bool permanent,
                                    const std::string& detail) {
  std::lock_guard lock(mu_);
  auto d = store_.delivery(nid, rid);
  if (!d || !*d || !live((*d)->state)) return;
  int64_t now = clock_.wall_ms();
  if (ok) {
    (*d)->state = v1::DELIVERY_STATE_DELIVERED;  // a 2xx is the webhook's receipt
    (*d)->delivered_ms = now;
    (*d)->detail.clear();
    metrics_.receipts_webhook.inc();
  } else if (permanent) {
    (*d)->state = v1::DELIVERY_STATE_FAILED;
    (*d)->ended_ms = now;
    (*d)->detail = detail;
    metrics_.failed.inc();
  } else {
    (*d)->detail = detail;  // stays SENT; re-sent at next_ms with backoff
  }
  (void)store_.update(**d);
}

void PushService::on_message(const transport::Message& message) {
  {
    std::lock_guard lock(inbound_mu_);
    if (inbound_.size() >= options_.max_inbound) {
      reject("mqtt", "inbound_full");
      return;
    }
    inbound_.push_back(message);
  }
  wake();  // a receipt is recorded now, not at the next tick
}

void PushService::drain_inbound_locked() {
  std::deque<transport::Message> batch;
  {
    std::lock_guard lock(inbound_mu_);
    batch.swap(inbound_);
  }
  if (batch.empty()) return;
  auto tx = store_.begin();  // a burst of receipts: one commit
  for (const auto& m : batch) handle_uplink_locked(m);
  if (auto st = tx->commit(); !st) TW_WARN(kLog, "receipts not stored (apps re-send them): " << st.error().message);
}

void PushService::handle_uplink_locked(const transport::Message& message) {
  auto topic = topics::parse_push_topic(message.topic);
  if (!topic || topic->channel == topics::PushChannel::kInbox) {
    reject("mqtt", "bad_topic");
    return;
  }
  if (message.payload.size() > kMaxUplinkBytes) {
    reject("mqtt", "too_large");
    return;
  }
  if (topic->channel == topics::PushChannel::kReceipt) {
    on_receipt_locked(topic->recipient_id, message.payload);
  } else {
    on_sync_locked(topic->recipient_id, message.payload);
  }
}

void PushService::on_receipt_locked(const std::string& recipient, const std::string& payload) {
  v1::PushReceipt receipt;
  if (!receipt.ParseFromString(payload) || receipt.notification_id().empty() ||
      receipt.kind() == v1::RECEIPT_KIND_UNSPECIFIED) {
    reject("receipt", "malformed");
    return;
  }
  auto d = store_.delivery(receipt.notification_id(), recipient);
  if (!d) return;
  if (!*d) {
    // Never sent to this recipient: a confused or spoofing app. Changes nothing.
    reject("receipt", "unknown_delivery");
    return;
  }
  Delivery& row = **d;
  int64_t now = clock_.wall_ms();
  bool changed = false;
  if (live(row.state)) {
    row.state = v1::DELIVERY_STATE_DELIVERED;
    row.delivered_ms = now;
    changed = true;
  }
  if (receipt.kind() == v1::RECEIPT_KIND_OPENED && row.state == v1::DELIVERY_STATE_DELIVERED) {
    row.state = v1::DELIVERY_STATE_OPENED;
    row.opened_ms = now;
    changed = true;
  }
  if (!changed) {
    metrics_.receipts_duplicate.inc();
    return;  // a repeated or late receipt (expired, collapsed): absorbed
  }
  (receipt.kind() == v1::RECEIPT_KIND_OPENED ? metrics_.receipts_opened : metrics_.receipts_delivered).inc();
  if (auto st = store_.update(row); !st) TW_WARN(kLog, "cannot record a receipt: " << st.error().message);
  auto r = store_.recipient(recipient);
  if (r && *r && ((*r)->unreceipted_streak() > 0 || (*r)->silent())) (void)store_.set_streak(recipient, 0, false);
}

void PushService::on_sync_locked(const std::string& recipient, const std::string& payload) {
  v1::InboxSync sync;
  if (!sync.ParseFromString(payload)) {
    reject("sync", "malformed");
    return;
  }
  auto rows = store_.inbox(recipient, sync.after_seq(), clock_.wall_ms(), kSyncLimit);
  if (!rows) return;
  metrics_.syncs.inc();
  auto topic = topics::push_topic(recipient, topics::PushChannel::kInbox);
  if (!topic) return;
  std::map<std::string, std::optional<StoredNotification>> cache;
  for (const auto& d : *rows) {
    auto& n = cache[d.notification_id];
    if (!n) {
      auto got = store_.notification(d.notification_id);
      if (!got || !*got) continue;
      n = **got;
    }
    v1::PushDelivery wire = to_wire(*n, d);
    wire.set_from_sync(true);
    if (!mqtt_.publish({*topic, wire.SerializeAsString(), 1, false})) break;  // the app syncs again on reconnect
  }
}

}  // namespace tidewire::push

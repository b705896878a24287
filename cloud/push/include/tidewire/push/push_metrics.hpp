#pragma once
// Every metric of the PushService, registered once when it is built, so the tick thread
// and the request path only touch atomics. Refusals, labelled by where and an open set
// of reasons, are looked up in the registry when they happen (the rare path). Names,
// help texts and labels are the ones docs/push.md lists. (The webhook sender keeps its
// own, platform/webhook/webhook_sender.hpp.)
#include "tidewire/common/metrics.hpp"

namespace tidewire::push {

struct PushMetrics {
  explicit PushMetrics(MetricsRegistry& registry);

  // tw_push_rejects_total{where, reason}
  void rejected(const char* where, const char* reason) const;
  // tw_push_sends_total{channel, result}
  Counter& sent(bool webhook) { return webhook ? sends_webhook_sent : sends_mqtt_sent; }
  Counter& send_failed(bool webhook) { return webhook ? sends_webhook_failed : sends_mqtt_failed; }

  MetricsRegistry& registry;
  // tw_push_requests_total by result.
  Counter& requests_accepted;
  Counter& requests_duplicate;
  Counter& requests_refused;
  Histogram& commit_group_size;
  Gauge& live_deliveries;
  Counter& fanout_recipients;
  Counter& expired;
  Counter& silent_recipients;
  Counter& rate_limited;
  Counter& sends_mqtt_sent;
  Counter& sends_mqtt_failed;
  Counter& sends_webhook_sent;
  Counter& sends_webhook_failed;
  Counter& resends;
  Counter& failed;
  // tw_push_receipts_total by kind.
  Counter& receipts_delivered;
  Counter& receipts_opened;
  Counter& receipts_webhook;
  Counter& receipts_duplicate;
  Counter& syncs;
};

}  // namespace tidewire::push

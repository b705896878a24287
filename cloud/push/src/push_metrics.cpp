#include "tidewire/push/push_metrics.hpp"

namespace tidewire::push {
namespace {

constexpr const char* kRequests = "tw_push_requests_total";
constexpr const char* kRequestsHelp = "POST /v1/push by result";
constexpr const char* kSends = "tw_push_sends_total";
constexpr const char* kSendsHelp = "Sends, by channel and result";
constexpr const char* kReceipts = "tw_push_receipts_total";
constexpr const char* kReceiptsHelp = "Receipts, by kind";

}  // namespace

PushMetrics::PushMetrics(MetricsRegistry& r)
    : registry(r),
      requests_accepted(r.counter(kRequests, kRequestsHelp, {{"result", "accepted"}})),
      requests_duplicate(r.counter(kRequests, kRequestsHelp, {{"result", "duplicate"}})),
      requests_refused(r.counter(kRequests, kRequestsHelp, {{"result", "refused"}})),
      commit_group_size(r.histogram("tw_push_commit_group_size", "POST /v1/push requests written by one commit",
                                    {1, 2, 4, 8, 16, 32, 64, 128})),
      live_deliveries(r.gauge("tw_push_live_deliveries", "Deliveries queued or sent and not yet receipted")),
      fanout_recipients(r.counter("tw_push_fanout_recipients_total", "Recipients reached by tag fan-outs")),
      expired(r.counter("tw_push_expired_total", "Deliveries whose TTL passed without a receipt")),
      silent_recipients(r.counter("tw_push_silent_recipients_total", "Recipients marked silent (never receipt)")),
      rate_limited(r.counter("tw_push_rate_limited_total", "Sends postponed by the per-recipient rate limit")),
      sends_mqtt_sent(r.counter(kSends, kSendsHelp, {{"channel", "mqtt"}, {"result", "sent"}})),
      sends_mqtt_failed(r.counter(kSends, kSendsHelp, {{"channel", "mqtt"}, {"result", "failed"}})),
      sends_webhook_sent(r.counter(kSends, kSendsHelp, {{"channel", "webhook"}, {"result", "sent"}})),
      sends_webhook_failed(r.counter(kSends, kSendsHelp, {{"channel", "webhook"}, {"result", "failed"}})),
      resends(r.counter("tw_push_resends_total", "Re-sends of unreceipted deliveries")),
      failed(r.counter("tw_push_failed_total", "Deliveries failed for good")),
      receipts_delivered(r.counter(kReceipts, kReceiptsHelp, {{"kind", "delivered"}})),
      receipts_opened(r.counter(kReceipts, kReceiptsHelp, {{"kind", "opened"}})),
      receipts_webhook(r.counter(kReceipts, kReceiptsHelp, {{"kind", "webhook"}})),
      receipts_duplicate(r.counter(kReceipts, kReceiptsHelp, {{"kind", "duplicate"}})),
      syncs(r.counter("tw_push_syncs_total", "Inbox syncs answered")) {}

void PushMetrics::rejected(const char* where, const char* reason) const {
  registry.counter("tw_push_rejects_total", "Refused push input, by where and reason", {{"where", where}, {"reason", reason}})
      .inc();
}

}  // namespace tidewire::push

#include "push_app_metrics.hpp"

namespace tidewire::push_app {
namespace {
constexpr const char* kReceiptsHelp = "Receipts the broker acknowledged, by kind";
}  // namespace

PushAppMetrics::PushAppMetrics(MetricsRegistry& m)
    : received(m.counter("tw_push_app_received_total", "New notifications an app showed")),
      received_from_sync(
          m.counter("tw_push_app_received_from_sync_total", "New notifications that came in answer to a sync")),
      duplicates(m.counter("tw_push_app_duplicates_total", "Re-sent copies: receipted again, not shown again")),
      delivered_receipts(m.counter("tw_push_app_receipts_total", kReceiptsHelp, {{"kind", "delivered"}})),
      opened_receipts(m.counter("tw_push_app_receipts_total", kReceiptsHelp, {{"kind", "opened"}})),
      receipt_retries(
          m.counter("tw_push_app_receipt_retries_total", "Receipts queued again: refused or not acknowledged")),
      receipts_dropped(
          m.counter("tw_push_app_receipts_dropped_total", "Pending receipts dropped: the queue was at its bound")),
      syncs(m.counter("tw_push_app_syncs_total", "InboxSync messages the broker acknowledged")),
      sync_failures(m.counter("tw_push_app_sync_failures_total",
                              "InboxSync not sent or not acknowledged (the next up edge syncs again)")),
      inbox_evicted(m.counter("tw_push_app_inbox_evicted_total", "Notifications evicted from an app's inbox view")),
      registry_(m) {
  for (const char* reason : {"bad_topic", "oversize", "malformed", "wrong_recipient", "invalid_field"}) {
    (void)rejected(reason);  // every series exists from the start, at 0
  }
}

Counter& PushAppMetrics::rejected(const std::string& reason) const {
  // The registry returns the same counter for the same name and labels.
  return registry_.counter("tw_push_app_rejected_total", "Inbox messages refused, by reason", {{"reason", reason}});
}

}  // namespace tidewire::push_app

#pragma once
// The tw_push_app_* counters (docs/push_app.md#metrics). Every app given the same registry
// shares them, so a crowd of virtual apps adds up into one series.
#include <string>

#include "tidewire/common/metrics.hpp"

namespace tidewire::push_app {

struct PushAppMetrics {
  explicit PushAppMetrics(MetricsRegistry& registry);
  // reason: bad_topic | oversize | malformed | wrong_recipient | invalid_field
  Counter& rejected(const std::string& reason) const;

  Counter& received;
  Counter& received_from_sync;
  Counter& duplicates;
  Counter& delivered_receipts;
  Counter& opened_receipts;
  Counter& receipt_retries;
  Counter& receipts_dropped;
  Counter& syncs;
  Counter& sync_failures;
  Counter& inbox_evicted;

 private:
  MetricsRegistry& registry_;
};

}  // namespace tidewire::push_app

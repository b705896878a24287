#pragma once
// Every metric the Dispatcher moves itself (the order side is OrderMetrics, the queue
// DispatchLoop's own), registered once when the Dispatcher is built, so its thread only
// touches atomics. Refusals, labelled by operation and an open set of reasons, are looked
// up in the registry when they happen (the rare path). Names, help texts and labels are
// the ones docs/dispatch.md lists.
#include <array>
#include <vector>

#include "tidewire/common/metrics.hpp"
#include "tidewire/dispatch/dispatch_policy.hpp"
#include "tidewire/dispatch/order.hpp"
#include "tidewire/dispatch/region.hpp"

namespace tidewire::dispatch {

struct DispatchMetrics {
  // One tw_dispatch_rounds_total{region} per region, then one for "default".
  DispatchMetrics(MetricsRegistry& registry, const std::vector<Region>& regions);

  // tw_dispatch_rejects_total{op, reason} for what the dispatcher refuses itself.
  void refused(const char* op, const char* reason) const;
  Counter& decisions(PolicyKind policy) { return *decisions_[static_cast<size_t>(policy)]; }
  Counter& updates(Audience audience) { return *updates_[static_cast<size_t>(audience)]; }
  Counter& update_failures(Audience audience) { return *update_failures_[static_cast<size_t>(audience)]; }
  // A round group as Dispatcher::run_rounds numbers them: region i, or regions.size() for
  // the default.
  Counter& rounds(size_t group) { return *rounds_.at(group); }

  MetricsRegistry& registry;
  Counter& offers_sent;
  Counter& offer_sends_failed;
  Counter& bundled_offers;
  Counter& postponed;
  Counter& batch_failures;
  Histogram& batch_solve_ms;
  Counter& cancel_commands_failed;
  Counter& stale_accepts;
  // tw_dispatch_merchant_orders_total by outcome.
  Counter& merchant_orders_created;
  Counter& merchant_orders_duplicate;
  Counter& merchant_orders_refused;
  Gauge& riders;
  Gauge& riders_available;
  Gauge& orders_waiting;

 private:
  std::array<Counter*, 2> decisions_{};        // by PolicyKind
  std::array<Counter*, 3> updates_{};          // by Audience
  std::array<Counter*, 3> update_failures_{};  // by Audience
  std::vector<Counter*> rounds_;
};

}  // namespace tidewire::dispatch

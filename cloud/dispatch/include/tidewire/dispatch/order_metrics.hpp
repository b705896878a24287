#pragma once
// Every metric of the order side (OrderBook, MerchantDirectory), registered once when
// the owner is built. Fixed label sets (order and offer states) are resolved up front;
// refusals, duplicates and failed writes, labelled by operation and reason, are looked
// up in the registry when they happen (they are the rare path). Names, help texts and
// labels are the ones docs/dispatch.md lists.
//
// Not thread-safe beyond the counters themselves: the owner's thread (the dispatcher's)
// calls transition(), which registers each (from, to) pair the first time it happens.
#include <array>
#include <optional>

#include "tidewire/common/metrics.hpp"
#include "tidewire/dispatch/order.hpp"

namespace tidewire::dispatch {

struct OrderMetrics {
  explicit OrderMetrics(MetricsRegistry& registry);

  // tw_dispatch_rejects_total{op, reason}
  void refused(const char* op, const char* reason) const;
  // tw_dispatch_duplicates_total{op}
  void duplicate(const char* op) const;
  // tw_dispatch_store_failures_total{op}
  void store_failed(const char* op) const;
  // tw_dispatch_order_transitions_total{from, to}; from is "none" for a new order.
  void transition(std::optional<OrderState> from, OrderState to);
  // tw_dispatch_offers_total{outcome}: "made", or what became of a pending offer.
  void offer_resolved(OfferState outcome) { offers_by_outcome_[static_cast<size_t>(outcome)]->inc(); }

  MetricsRegistry& registry;
  std::array<Gauge*, kOrderStateCount> orders_by_state{};
  Gauge& offers_pending;
  Gauge& orders_in_memory;
  Gauge& merchants;
  Counter& offers_made;
  Counter& restore_repairs;

 private:
  // By OfferState; the kPending slot counts "made" (an offer is pending when made).
  std::array<Counter*, kOfferStateCount> offers_by_outcome_{};
  // [from + 1][to]: row 0 is "none".
  std::array<std::array<Counter*, kOrderStateCount>, kOrderStateCount + 1> transitions_{};
};

}  // namespace tidewire::dispatch

#include "tidewire/dispatch/order_metrics.hpp"

#include "order_rejects.hpp"

namespace tidewire::dispatch {

OrderMetrics::OrderMetrics(MetricsRegistry& r)
    : registry(r),
      offers_pending(r.gauge("tw_dispatch_offers_pending", "Offers waiting for a rider's answer")),
      orders_in_memory(
          r.gauge("tw_dispatch_orders_in_memory", "Orders held in memory (all open ones plus recently closed ones)")),
      merchants(r.gauge("tw_dispatch_merchants", "Merchants registered")),
      offers_made(r.counter("tw_dispatch_offers_total", "Offers, by what became of them", {{"outcome", "made"}})),
      restore_repairs(
          r.counter("tw_dispatch_restore_repairs_total", "Offer/order mismatches found and repaired at restore")) {
  for (OrderState s : kAllOrderStates) {
    orders_by_state[static_cast<size_t>(s)] =
        &r.gauge("tw_dispatch_orders", "Orders by state: open states now, delivered and cancelled since the store began",
                 {{"state", state_name(s)}});
  }
  offers_by_outcome_[static_cast<size_t>(OfferState::kPending)] = &offers_made;
  for (OfferState s : {OfferState::kAccepted, OfferState::kDeclined, OfferState::kTimedOut, OfferState::kWithdrawn}) {
    offers_by_outcome_[static_cast<size_t>(s)] =
        &r.counter("tw_dispatch_offers_total", "Offers, by what became of them", {{"outcome", offer_state_name(s)}});
  }
}

void OrderMetrics::refused(const char* op, const char* reason) const {
  registry.counter(reject::kMetric, reject::kMetricHelp, {{"op", op}, {"reason", reason}}).inc();
}

void OrderMetrics::duplicate(const char* op) const {
  registry.counter("tw_dispatch_duplicates_total", "Requests already applied, answered without a change", {{"op", op}})
      .inc();
}

void OrderMetrics::store_failed(const char* op) const {
  registry.counter("tw_dispatch_store_failures_total", "Dispatch writes that failed (nothing changed)", {{"op", op}})
      .inc();
}

void OrderMetrics::transition(std::optional<OrderState> from, OrderState to) {
  size_t row = from ? static_cast<size_t>(*from) + 1 : 0;
  Counter*& c = transitions_[row][static_cast<size_t>(to)];
  if (c == nullptr) {
    c = &registry.counter("tw_dispatch_order_transitions_total", "Order state changes, by from and to state",
                          {{"from", from ? state_name(*from) : "none"}, {"to", state_name(to)}});
  }
  c->inc();
}

}  // namespace tidewire::dispatch

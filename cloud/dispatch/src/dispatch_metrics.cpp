#include "tidewire/dispatch/dispatch_metrics.hpp"

#include "order_rejects.hpp"

namespace tidewire::dispatch {
namespace {

constexpr const char* kOfferSends = "tw_dispatch_offer_sends_total";
constexpr const char* kOfferSendsHelp = "Offers handed to the command service, by result";
constexpr const char* kMerchantOrders = "tw_dispatch_merchant_orders_total";
constexpr const char* kMerchantOrdersHelp = "order.create events from merchant terminals, by outcome";

}  // namespace

DispatchMetrics::DispatchMetrics(MetricsRegistry& r, const std::vector<Region>& regions)
    : registry(r),
      offers_sent(r.counter(kOfferSends, kOfferSendsHelp, {{"result", "sent"}})),
      offer_sends_failed(r.counter(kOfferSends, kOfferSendsHelp, {{"result", "failed"}})),
      bundled_offers(
          r.counter("tw_dispatch_bundled_offers_total", "Offers to a rider already holding an order (bundles)")),
      postponed(
          r.counter("tw_dispatch_postponed_total", "Waiting orders left out of a batch round: ready too far ahead")),
      batch_failures(r.counter("tw_dispatch_batch_failures_total", "Batch rounds whose solve failed")),
      batch_solve_ms(r.histogram("tw_dispatch_batch_solve_ms", "Time of one batch assignment solve",
                                 {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500})),
      cancel_commands_failed(
          r.counter("tw_dispatch_cancel_commands_failed_total", "dispatch.cancel commands not created")),
      stale_accepts(
          r.counter("tw_dispatch_stale_accepts_total", "Late accepts whose terminal was told to drop the orders")),
      merchant_orders_created(r.counter(kMerchantOrders, kMerchantOrdersHelp, {{"outcome", "created"}})),
      merchant_orders_duplicate(r.counter(kMerchantOrders, kMerchantOrdersHelp, {{"outcome", "duplicate"}})),
      merchant_orders_refused(r.counter(kMerchantOrders, kMerchantOrdersHelp, {{"outcome", "refused"}})),
      riders(r.gauge("tw_dispatch_riders", "Riders in the index")),
      riders_available(r.gauge("tw_dispatch_riders_available", "Riders in the index free to take an order")),
      orders_waiting(r.gauge("tw_dispatch_orders_waiting", "Orders waiting for a rider")) {
  for (PolicyKind p : {PolicyKind::kInstant, PolicyKind::kBatch}) {
    decisions_[static_cast<size_t>(p)] =
        &r.counter("tw_dispatch_decisions_total", "Offers decided, by policy", {{"policy", policy_name(p)}});
  }
  for (Audience a : {Audience::kCustomer, Audience::kMerchant, Audience::kRider}) {
    updates_[static_cast<size_t>(a)] =
        &r.counter("tw_dispatch_updates_total", "Order updates published, by audience", {{"audience", audience_name(a)}});
    update_failures_[static_cast<size_t>(a)] = &r.counter(
        "tw_dispatch_update_failures_total", "Order updates not published, by audience", {{"audience", audience_name(a)}});
  }
  for (const Region& region : regions) {
    rounds_.push_back(&r.counter("tw_dispatch_rounds_total", "Batch rounds run, by region", {{"region", region.name}}));
  }
  rounds_.push_back(&r.counter("tw_dispatch_rounds_total", "Batch rounds run, by region", {{"region", "default"}}));
}

void DispatchMetrics::refused(const char* op, const char* reason) const {
  registry.counter(reject::kMetric, reject::kMetricHelp,
                   {{"op", op}, {"reason", reason}})
      .inc();
}

}  // namespace tidewire::dispatch

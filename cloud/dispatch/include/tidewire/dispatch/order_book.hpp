#pragma once
// OrderBook: every order's lifecycle as an explicit state machine (docs/dispatch.md).
//
//   created -> offered -> assigned -> picked_up -> delivered
//      ^          |  (declined / timed out: back, that rider excluded for the order)
//      +----------+
//   cancelled <- created | offered | assigned   (not after pickup)
//
// Single-threaded: one owner (the dispatch thread) calls everything. Each mutating call
// checks the request, writes the whole transition to the OrderStore in one transaction,
// and only then changes memory and returns the notifications to publish. A refused
// request or a failed write changes nothing. Refusals are counted in
// tw_dispatch_rejects_total{op,reason}; the same reason is their Error::reason
// ("unknown_merchant"), next to a message that says what to fix.
#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tidewire/common/clock.hpp"
#include "tidewire/common/expected.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/dispatch/merchants.hpp"
#include "tidewire/dispatch/order.hpp"
#include "tidewire/dispatch/order_metrics.hpp"
#include "tidewire/dispatch/order_store.hpp"
#include "tidewire/v1/dispatch.pb.h"

namespace tidewire::dispatch {

struct OrderBookOptions {
  int64_t offer_timeout_ms = 30'000;  // an offer's life before it times out
  // A request without promised_ms is promised max(placed + default_promise_ms,
  // ready + min_promise_after_ready_ms).
  int64_t default_promise_ms = 45 * 60'000;
  int64_t min_promise_after_ready_ms = 20 * 60'000;
  int64_t max_future_skew_ms = 10 * 60'000;  // placed_ms further ahead of now is refused
  int64_t max_horizon_ms = 24 * 3600'000LL;  // ready/promised at most this after placed
  size_t max_open_orders = 200'000;          // creates beyond it: kUnavailable (503)
  size_t max_closed_in_memory = 10'000;      // older closed orders are read from the store
  uint32_t max_offers_per_order = 20;        // bounds the timeline; then offer() refuses
  size_t max_orders_per_offer = 4;           // a bundle
  size_t max_expiries_per_call = 1'000;      // offers timed out per expire_offers() call
  size_t max_idempotency_key_bytes = 128;
  size_t max_note_bytes = 256;
};

// What a successful call changed, for the caller to publish.
struct Transition {
  std::vector<Notification> notifications;
  // True when nothing changed because this exact request was already applied (a retried
  // create with its key, a repeated pickup report, cancelling a cancelled order).
  bool duplicate = false;
};

// A rider's report from its terminal (pickup, delivery).
struct RiderReport {
  std::string order_id;
  std::string rider_id;
  bool has_position = false;
  double lat = 0;
  double lon = 0;
};

// One order the dispatcher wants to offer, with its plan for the rider.
struct PlannedOrder {
  std::string order_id;
  int64_t eta_pickup_ms = 0;
  int64_t eta_dropoff_ms = 0;
};

struct Placed {
  Order order;
  Transition transition;  // duplicate: an earlier create with the same key and request
};

struct OfferMade {
  OfferRecord offer;
  v1::Offer message;  // what the rider's terminal is sent
  Transition transition;
};

// The reason of an OrderBook / MerchantDirectory refusal, e.g. "unknown_merchant"; empty
// when the error is not one of their refusals (store failure, busy, ...).
std::string_view reject_reason(const Error& error);

class OrderBook {
 public:
  OrderBook(OrderStore& store, const MerchantDirectory& merchants, Clock& clock, MetricsRegistry& metrics,
            OrderBookOptions options = {});

  // Replaces memory with what the store loaded at startup: open orders, pending offers
  // (still expiring at their stored time), counts. Call once, before anything else.
  void restore(const StoreSnapshot& snapshot);

  // --- transitions -----------------------------------------------------------------------
  // New order (state CREATED). Errors: kInvalidArgument (bad id, key, coordinates or
  // times; unknown merchant), kConflict (order id taken without this key; key used for a
  // different request), kUnavailable (too many open orders), kIo (store).
  Expected<Placed> create(const v1::OrderRequest& request, const std::string& idempotency_key);

  // Offers CREATED orders to one rider (-> OFFERED until now + offer_timeout_ms).
  // Refused when an order is not waiting, excludes the rider or has had too many offers,
  // or the rider already has a pending offer.
  Expected<OfferMade> offer(const std::string& rider_id, const std::vector<PlannedOrder>& orders);

  // The rider's answer. Accept -> ASSIGNED (ETAs from the offer); decline -> CREATED with
  // the rider excluded. Refused without any change: unknown offer, wrong rider, at or
  // after expiry, offer already resolved otherwise (stale). The same answer repeated by
  // the same rider is a duplicate.
  Expected<Transition> answer(const std::string& offer_id, const std::string& rider_id, bool accept);

  // Times out every pending offer whose expiry is at or before now (at most
  // max_expiries_per_call, in one transaction): orders back to CREATED, rider excluded.
  Expected<Transition> expire_offers();

  // ASSIGNED -> PICKED_UP and PICKED_UP -> DELIVERED, reported by the assigned rider only.
  Expected<Transition> pick_up(const RiderReport& report);
  Expected<Transition> deliver(const RiderReport& report);

  // CREATED | OFFERED | ASSIGNED -> CANCELLED (customer, merchant or operator). Refused
  // once picked up. The rider holding an offer or the assignment is told.
  Expected<Transition> cancel(const std::string& order_id, const std::string& note);

  // --- queries (memory only unless said) ----------------------------------------------------
  const Order* find(const std::string& order_id) const;
  // From memory, else from the store (closed orders evicted from memory). kNotFound.
  Expected<v1::OrderView> view(const std::string& order_id);
  // Orders waiting for a rider (CREATED), oldest placed first, at most `limit`.
  std::vector<const Order*> waiting(size_t limit = SIZE_MAX) const;
  size_t waiting_count() const { return waiting_.size(); }
  // Orders a rider holds (ASSIGNED or PICKED_UP), for bundling and GET /v1/riders/{id}.
  std::vector<const Order*> orders_of_rider(const std::string& rider_id) const;
  const OfferRecord* pending_offer(const std::string& offer_id) const;
  const OfferRecord* pending_offer_of_rider(const std::string& rider_id) const;
  size_t pending_offer_count() const { return pending_.size(); }
  // When the next pending offer expires, so the owner can arm a timer.
  std::optional<int64_t> next_offer_expiry_ms() const;
  uint64_t count(OrderState state) const { return counts_[static_cast<size_t>(state)]; }
  uint64_t offer_count(OfferState state) const { return offer_counts_[static_cast<size_t>(state)]; }
  size_t open_count() const { return open_; }
  uint64_t rejected_total() const { return rejected_; }
  // Fills the order and offer fields of DispatchStats (riders and policy are not ours).
  void fill_stats(v1::DispatchStats& stats) const;

 private:
  // A refusal: counted, message prefixed with the reason.
  Error refuse(const char* op, const char* reason, ErrorCode code, const std::string& text);
  Error store_failed(const char* op, const Error& error);
  // Writes the change, then installs it in memory. Orders/offers not in memory before
  // are new. Nothing changes in memory when the write fails.
  Status commit(const char* op, OrderChange change);
  void install_order(Order order);
  void install_offer(OfferRecord offer);
  void evict_closed();
  void set_state(Order& order, OrderState to, TimelineEntry entry);
  void notify_customer(Transition& t, const Order& order, const TimelineEntry& entry) const;
  Notification notification(Audience audience, const std::string& recipient, const Order& order,
                            const TimelineEntry& entry) const;
  Expected<std::optional<Order>> lookup(const std::string& order_id, const char* op);
  Status check_request(const v1::OrderRequest& request, int64_t now);
  Status check_rider_id(const char* op, const std::string& rider_id);
  Expected<Transition> report(const char* op, const RiderReport& report, OrderState from, OrderState to);
  // Orders of a pending offer back to CREATED with the rider excluded (decline, timeout).
  void release(const OfferRecord& offer, OfferState outcome, int64_t now, OrderChange& change, Transition& t);
  void update_gauges();

  OrderStore& store_;
  const MerchantDirectory& merchants_;
  Clock& clock_;
  OrderMetrics metrics_;
  OrderBookOptions options_;

  std::unordered_map<std::string, Order> orders_;  // open + recently closed
  std::unordered_map<std::string, std::string> order_by_key_;
  std::deque<std::string> closed_;                     // eviction order of closed orders
  std::set<std::pair<int64_t, std::string>> waiting_;  // CREATED: (placed_ms, order id)
  std::unordered_map<std::string, std::set<std::string>> rider_orders_;
  std::unordered_map<std::string, OfferRecord> pending_;
  std::unordered_map<std::string, std::string> pending_by_rider_;
  std::multimap<int64_t, std::string> expiries_;  // expires_ms -> offer id
  uint64_t next_offer_seq_ = 1;

  std::array<uint64_t, kOrderStateCount> counts_{};
  std::array<uint64_t, kOfferStateCount> offer_counts_{};
  size_t open_ = 0;
  uint64_t rejected_ = 0;
};

}  // namespace tidewire::dispatch

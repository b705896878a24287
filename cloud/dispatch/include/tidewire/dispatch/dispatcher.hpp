#pragma once
// Dispatcher: the dispatch service's core. It owns the OrderBook, the MerchantDirectory and
// the RiderIndex, feeds them rider status, rider reports and offer answers, runs the
// policy (dispatch_policy.hpp) and hands out what it decided: offers to riders (through an
// OfferSender, i.e. a "dispatch.offer" command) and order updates to people (through an
// UpdatePublisher, i.e. MQTT QoS1).
//
// Single-threaded: every method must be called by one owner. In the cloud that owner is a
// DispatchLoop (dispatch_loop.hpp) thread; unit tests call the methods directly and drive
// time with a ManualClock and run_due(). Clock& and Random& are injected.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "tidewire/common/clock.hpp"
#include "tidewire/common/expected.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/dispatch/dispatch_metrics.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/dispatch/dispatch_policy.hpp"
#include "tidewire/dispatch/merchants.hpp"
#include "tidewire/dispatch/order_book.hpp"
#include "tidewire/dispatch/order_store.hpp"
#include "tidewire/dispatch/region.hpp"
#include "tidewire/dispatch/rider_index.hpp"
#include "tidewire/dispatch/travel_time.hpp"
#include "tidewire/v1/device.pb.h"
#include "tidewire/v1/dispatch.pb.h"

namespace tidewire::dispatch {

class BundleRiders;

// Talks to a rider's terminal through commands. send_offer returns the id of the command
// carrying the offer (to map an EXPIRED/FAILED result back to it), or an error (unknown
// device, store). send_cancel tells the terminal to drop an order it was offered or holds.
class OfferSender {
 public:
  virtual ~OfferSender() = default;
  virtual Expected<std::string> send_offer(const std::string& rider_id, const v1::Offer& offer) = 0;
  virtual Status send_cancel(const std::string& rider_id, const std::string& order_id) = 0;
};

// Publishes an order update to a customer, merchant or rider. Errors are counted by the
// caller and not retried: updates inform, they decide nothing.
class UpdatePublisher {
 public:
  virtual ~UpdatePublisher() = default;
  virtual Status publish(Audience audience, const std::string& recipient_id, const v1::OrderUpdate& update) = 0;
};

struct DispatcherOptions {
  PolicyOptions policy;  // its kind is the default, for pickups in no region
  // Regions with their own policy; the first whose box holds the pickup wins (region.hpp).
  // Checked by parse_regions()/validate(); the Dispatcher trusts them.
  std::vector<Region> regions;
  OrderBookOptions book;
  RiderIndexOptions riders;
  // Riders whose last position is older than this are not offered anything.
  int64_t rider_stale_ms = 5 * 60'000;
  size_t max_rider_stats = 1'000'000;  // per-rider offer counters kept (GET /v1/riders/{id})
};

class Dispatcher {
 public:
  Dispatcher(OrderStore& store, OfferSender& sender, UpdatePublisher& publisher, TravelTimePtr travel, Clock& clock,
             Random& random, MetricsRegistry& metrics, DispatcherOptions options = {});

  // Loads merchants, open orders and pending offers from the store (once, first).
  Status restore();

  // --- requests (HTTP) ----------------------------------------------------------------
  Expected<MerchantDirectory::Write> put_merchant(const Merchant& merchant);
  // The created (or replayed) order; the instant policy offers it before returning.
  Expected<Placed> create_order(const v1::OrderRequest& request, const std::string& idempotency_key);
  Expected<v1::OrderView> cancel_order(const std::string& order_id, const std::string& note);
  Expected<v1::OrderView> view_order(const std::string& order_id);
  Expected<v1::RiderView> view_rider(const std::string& rider_id) const;
  v1::DispatchStats stats() const;

  // --- inputs from the pipeline ---------------------------------------------------------
  // A rider terminal's status: position and whether it can take an order.
  void on_rider_status(const std::string& rider_id, const v1::RiderStatus& status, int64_t reported_ms);
  // A rider event; only order.picked_up / order.delivered matter (attributes order_id, lat, lon).
  void on_rider_event(const std::string& rider_id, const v1::Event& event);
  // The result of a "dispatch.offer" command from `rider_id`.
  void on_offer_result(const std::string& rider_id, const v1::CommandResult& result);
  // A merchant terminal's Event "order.create" (body: OrderRequest) as relayed, with the
  // envelope for its identity and (device, boot, seq). Creates the order through the same
  // checks as HTTP, for the merchant the device is only, and answers on the merchant's
  // update topic (dispatcher_merchant_orders.cpp, docs/dispatch.md "On the wire").
  void on_merchant_event(const v1::Envelope& envelope);

  // Timers: expires due offers, runs a batch round (or the instant retry sweep) when due.
  void run_due();
  // When run_due() next has work (wall ms).
  int64_t next_due_ms() const;

  const OrderBook& book() const { return *book_; }
  const RiderIndex& riders() const { return riders_; }
  PolicyKind policy() const { return options_.policy.kind; }  // the default policy
  // The policy an order is dispatched by: its pickup's region's, else the default.
  PolicyKind policy_of(const Order& order) const;

 private:
  struct RiderCounters {
    uint64_t offers_received = 0, offers_accepted = 0, offers_declined = 0, offers_timed_out = 0;
    uint64_t orders_delivered = 0;
  };

  void publish(const Transition& transition);
  // Instant policy: offers one waiting order to its cheapest free candidate.
  bool place_instant(const Order& order);
  // Batch and instant rounds per region (region_rounds.cpp): the default round (instant
  // sweep, default batch) when `default_due`, and each batch region in `regions_due`.
  void run_rounds(bool default_due, const std::vector<size_t>& regions_due);
  // One exact assignment round over `orders` (all waiting, all batch), with bundling.
  void run_batch_round(const std::vector<const Order*>& orders, const std::string& region);
  void collect_bundle_riders(BundleRiders& out);
  std::vector<RiderCandidate> free_candidates(const Order& order) const;
  bool rider_is_free(const std::string& rider_id) const;
  bool make_offer(const std::string& rider_id, const Order& order, const Plan& plan);
  void answer(const std::string& offer_id, const std::string& rider_id, bool accept, const char* via);
  void remember_offer(const std::string& offer_id, const std::string& rider_id, const std::vector<std::string>& orders);
  void drop_stale_accept(const std::string& offer_id, const std::string& rider_id);
  RiderCounters* counters(const std::string& rider_id);
  void reject(const char* reason);
  void update_gauges();

  OrderStore& store_;
  OfferSender& sender_;
  UpdatePublisher& publisher_;
  TravelTimePtr travel_;
  Clock& clock_;
  Random& random_;
  DispatchMetrics metrics_;
  DispatcherOptions options_;

  MerchantDirectory merchants_;
  std::unique_ptr<OrderBook> book_;
  RiderIndex riders_;
  std::unordered_map<std::string, std::string> offer_of_command_;  // command id -> offer id
  // Recent offers (bounded, oldest forgotten first): an accept that arrives after its offer
  // expired or was resolved is refused, but the terminal already believes it holds the
  // orders, so the dispatcher tells it to drop them (drop_stale_accept).
  struct RecentOffer {
    std::string rider_id;
    std::vector<std::string> order_ids;
  };
  std::unordered_map<std::string, RecentOffer> recent_offers_;
  std::deque<std::string> recent_offer_order_;
  uint64_t offers_bundled_ = 0;
  uint64_t stale_accepts_ = 0;
  std::unordered_map<std::string, RiderCounters> rider_counters_;
  int64_t next_round_ms_ = 0;             // the default round
  std::vector<int64_t> region_round_ms_;  // each region's next batch round (0: instant region)
  // Riders holding orders: where a batch round looks for bundles (the RiderIndex grid holds
  // free riders only). Kept by publish() as orders are assigned and closed.
  std::set<std::string> riders_holding_;
};

}  // namespace tidewire::dispatch

// OrderBook offers: CREATED -> OFFERED, and the answer (accept -> ASSIGNED, decline or
// timeout -> CREATED with the rider excluded for those orders).
#include <set>

#include "order_rejects.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/dispatch/order_book.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::dispatch {

Status OrderBook::check_rider_id(const char* op, const std::string& rider_id) {
  if (topics::valid_id(rider_id)) return {};
  return refuse(op, reject::kInvalidRiderId, ErrorCode::kInvalidArgument,
                std::string("rider_id must be ") + topics::kIdRule + " (the rider terminal's device id)");
}

Expected<OfferMade> OrderBook::offer(const std::string& rider_id, const std::vector<PlannedOrder>& planned) {
  constexpr const char* kOp = "offer";
  constexpr auto conflict = ErrorCode::kConflict;
  if (auto st = check_rider_id(kOp, rider_id); !st) return st.error();
  if (planned.empty()) {
    return refuse(kOp, reject::kEmptyOffer, ErrorCode::kInvalidArgument, "an offer needs at least one order");
  }
  if (planned.size() > options_.max_orders_per_offer) {
    return refuse(kOp, reject::kTooManyOrdersInOffer, ErrorCode::kInvalidArgument,
                  "an offer holds at most " + std::to_string(options_.max_orders_per_offer) + " orders, got " +
                      std::to_string(planned.size()));
  }
  if (const OfferRecord* open = pending_offer_of_rider(rider_id)) {
    return refuse(kOp, reject::kRiderHasOffer, conflict,
                  "rider " + rider_id + " has not answered offer " + open->offer_id + " yet");
  }

  const int64_t now = clock_.wall_ms();
  OfferRecord r;
  r.seq = next_offer_seq_;
  r.offer_id = "offer-" + std::to_string(r.seq);
  r.rider_id = rider_id;
  r.created_ms = now;
  r.expires_ms = now + options_.offer_timeout_ms;

  OrderChange change;
  Transition t;
  std::set<std::string> seen;
  for (const auto& p : planned) {
    if (!seen.insert(p.order_id).second) {
      return refuse(kOp, reject::kOrderRepeatedInOffer, ErrorCode::kInvalidArgument,
                    "order " + p.order_id + " appears twice in one offer");
    }
    if (p.eta_pickup_ms < 0 || p.eta_dropoff_ms < 0 ||
        (p.eta_pickup_ms != 0 && p.eta_dropoff_ms != 0 && p.eta_dropoff_ms < p.eta_pickup_ms)) {
      return refuse(kOp, reject::kInvalidEta, ErrorCode::kInvalidArgument,
                    "order " + p.order_id + ": ETAs must be 0 (none) or times with drop-off after pickup");
    }
    auto it = orders_.find(p.order_id);
    if (it == orders_.end() || !is_open(it->second.state)) {
      return refuse(kOp, reject::kUnknownOrder, ErrorCode::kNotFound,
                    "order " + p.order_id + " is not open (unknown, delivered or cancelled)");
    }
    const Order& current = it->second;
    if (current.state != OrderState::kCreated) {
      return refuse(kOp, reject::kInvalidTransition, conflict,
                    "order " + p.order_id + " is " + state_name(current.state) +
                        "; only an order waiting for a rider (created) can be offered");
    }
    if (current.excludes(rider_id)) {
      return refuse(kOp, reject::kRiderExcluded, conflict,
                    "rider " + rider_id + " already declined or let an offer of order " + p.order_id + " expire");
    }
    if (current.offers_made >= options_.max_offers_per_order) {
      return refuse(kOp, reject::kOfferLimit, conflict,
                    "order " + p.order_id + " has been offered " + std::to_string(current.offers_made) +
                        " times, the limit; cancel it or raise the limit");
    }
    Order o = current;
    o.offer_id = r.offer_id;
    o.offer_expires_ms = r.expires_ms;
    ++o.offers_made;
    TimelineEntry entry;
    entry.event = "offered";
    entry.at_ms = now;
    entry.rider_id = rider_id;
    entry.offer_id = r.offer_id;
    set_state(o, OrderState::kOffered, entry);
    notify_customer(t, o, o.timeline.back());

    const Merchant* m = merchants_.find(o.merchant_id);
    r.legs.push_back(OfferLeg{o.order_id, o.merchant_id, m ? m->name : std::string(), o.pickup_lat, o.pickup_lon,
                              o.dropoff_lat, o.dropoff_lon, o.ready_ms, o.promised_ms, p.eta_pickup_ms,
                              p.eta_dropoff_ms});
    change.orders.push_back(std::move(o));
  }
  change.offers.push_back(r);
  if (auto st = commit(kOp, std::move(change)); !st) return st.error();
  ++next_offer_seq_;
  TW_DEBUG("dispatch", r.offer_id << " to rider " << rider_id << ": " << r.legs.size() << " order(s), expires in "
                                  << options_.offer_timeout_ms << " ms");
  v1::Offer message = to_proto(r);
  return OfferMade{std::move(r), std::move(message), std::move(t)};
}

void OrderBook::release(const OfferRecord& offer, OfferState outcome, int64_t now, OrderChange& change, Transition& t) {
  const bool declined = outcome == OfferState::kDeclined;
  for (const auto& leg : offer.legs) {
    auto it = orders_.find(leg.order_id);
    // Restore dropped legs that did not match their order; this one is in step.
    if (it == orders_.end() || it->second.offer_id != offer.offer_id) continue;
    Order o = it->second;
    o.offer_id.clear();
    o.offer_expires_ms = 0;
    auto& excluded = declined ? o.declined_riders : o.timed_out_riders;
    if (!o.excludes(offer.rider_id)) excluded.push_back(offer.rider_id);
    TimelineEntry entry;
    entry.event = declined ? "offer_declined" : "offer_timed_out";
    entry.at_ms = now;
    entry.rider_id = offer.rider_id;
    entry.offer_id = offer.offer_id;
    set_state(o, OrderState::kCreated, entry);
    notify_customer(t, o, o.timeline.back());
    // A terminal still showing a timed-out offer must drop it.
    if (!declined) t.notifications.push_back(notification(Audience::kRider, offer.rider_id, o, o.timeline.back()));
    change.orders.push_back(std::move(o));
  }
  OfferRecord done = offer;
  done.state = outcome;
  done.resolved_ms = now;
  change.offers.push_back(std::move(done));
}

Expected<Transition> OrderBook::answer(const std::string& offer_id, const std::string& rider_id, bool accept) {
  constexpr const char* kOp = "answer";
  constexpr auto conflict = ErrorCode::kConflict;
  if (auto st = check_rider_id(kOp, rider_id); !st) return st.error();
  const int64_t now = clock_.wall_ms();

  auto it = pending_.find(offer_id);
  if (it == pending_.end()) {
    auto stored = store_.find_offer(offer_id);
    if (!stored) return store_failed(kOp, stored.error());
    if (!*stored)
      return refuse(kOp, reject::kUnknownOffer, ErrorCode::kNotFound, "no offer '" + offer_id + "' was made");
    const OfferRecord& r = **stored;
    if (r.rider_id != rider_id) {
      return refuse(kOp, reject::kWrongRider, conflict, "offer " + offer_id + " was not made to rider " + rider_id);
    }
    if ((accept && r.state == OfferState::kAccepted) || (!accept && r.state == OfferState::kDeclined)) {
      metrics_.duplicate(kOp);
      return Transition{{}, true};
    }
    if (r.state == OfferState::kTimedOut) {
      return refuse(
          kOp, reject::kOfferExpired, conflict,
          "offer " + offer_id + " timed out at " + std::to_string(r.expires_ms) + "; its orders were re-dispatched");
    }
    return refuse(kOp, reject::kOfferResolved, conflict,
                  "offer " + offer_id + " is already " + offer_state_name(r.state) + "; this answer is stale");
  }
  const OfferRecord& r = it->second;
  if (r.rider_id != rider_id) {
    return refuse(kOp, reject::kWrongRider, conflict, "offer " + offer_id + " was not made to rider " + rider_id);
  }
  if (now >= r.expires_ms) {
    // Too late even if expire_offers() has not run yet; it will put the orders back.
    return refuse(kOp, reject::kOfferExpired, conflict,
                  "offer " + offer_id + " expired " + std::to_string(now - r.expires_ms) + " ms before this answer");
  }

  OrderChange change;
  Transition t;
  if (!accept) {
    release(r, OfferState::kDeclined, now, change, t);
  } else {
    for (const auto& leg : r.legs) {
      Order o = orders_.at(leg.order_id);
      o.rider_id = rider_id;
      o.offer_id.clear();
      o.offer_expires_ms = 0;
      o.assigned_ms = now;
      o.eta_pickup_ms = leg.eta_pickup_ms;
      o.eta_dropoff_ms = leg.eta_dropoff_ms;
      TimelineEntry entry;
      entry.event = "assigned";
      entry.at_ms = now;
      entry.rider_id = rider_id;
      entry.offer_id = offer_id;
      set_state(o, OrderState::kAssigned, entry);
      notify_customer(t, o, o.timeline.back());
      t.notifications.push_back(notification(Audience::kMerchant, o.merchant_id, o, o.timeline.back()));
      change.orders.push_back(std::move(o));
    }
    OfferRecord done = r;
    done.state = OfferState::kAccepted;
    done.resolved_ms = now;
    change.offers.push_back(std::move(done));
  }
  const size_t legs = r.legs.size();
  if (auto st = commit(kOp, std::move(change)); !st) return st.error();  // r is gone after this
  TW_DEBUG("dispatch", offer_id << (accept ? " accepted" : " declined") << " by rider " << rider_id << " (" << legs
                                << " order(s))");
  return t;
}

Expected<Transition> OrderBook::expire_offers() {
  const int64_t now = clock_.wall_ms();
  OrderChange change;
  Transition t;
  size_t n = 0;
  for (auto it = expiries_.begin(); it != expiries_.end() && it->first <= now && n < options_.max_expiries_per_call;
       ++it, ++n) {
    release(pending_.at(it->second), OfferState::kTimedOut, now, change, t);
  }
  if (n == 0) return t;
  if (auto st = commit("expire", std::move(change)); !st) return st.error();
  TW_INFO("dispatch", n << " offer(s) timed out; their orders are back in dispatch without those riders");
  return t;
}

}  // namespace tidewire::dispatch

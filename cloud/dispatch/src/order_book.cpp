// OrderBook bookkeeping: write-then-install, indexes, restore, queries and metrics.
// The transitions themselves are in order_create.cpp, order_offers.cpp, order_progress.cpp.
#include "tidewire/dispatch/order_book.hpp"

#include <algorithm>

#include "order_rejects.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/protocols/json.hpp"

namespace tidewire::dispatch {

std::string_view reject_reason(const Error& error) {
  for (std::string_view r : reject::kAll)
    if (r == error.reason) return r;
  return {};
}

OrderBook::OrderBook(OrderStore& store, const MerchantDirectory& merchants, Clock& clock, MetricsRegistry& metrics,
                     OrderBookOptions options)
    : store_(store),
      merchants_(merchants),
      clock_(clock),
      metrics_(metrics),
      options_(options) {}

Error OrderBook::refuse(const char* op, const char* reason, ErrorCode code, const std::string& text) {
  metrics_.refused(op, reason);
  ++rejected_;
  TW_DEBUG("dispatch", op << " refused (" << reason << "): " << text);
  return make_error(code, text, reason);
}

Error OrderBook::store_failed(const char* op, const Error& error) {
  metrics_.store_failed(op);
  TW_WARN("dispatch", op << ": order store failed, nothing changed: " << error.message);
  // Whatever the store called it: a client retries this with the same idempotency key.
  Error e = error.with_context(std::string("dispatch ") + op);
  e.reason = "store_failed";
  return e;
}

Status OrderBook::commit(const char* op, OrderChange change) {
  if (auto st = store_.apply(change); !st) return store_failed(op, st.error());
  for (auto& o : change.orders) install_order(std::move(o));
  for (auto& r : change.offers) install_offer(std::move(r));
  evict_closed();
  update_gauges();
  return {};
}

void OrderBook::install_order(Order order) {
  const std::string id = order.order_id;
  auto it = orders_.find(id);
  bool was_open = false;
  std::optional<OrderState> from;  // none: a new order
  if (it != orders_.end()) {
    const Order& old = it->second;
    was_open = is_open(old.state);
    from = old.state;
    if (old.state == OrderState::kCreated) waiting_.erase({old.placed_ms, id});
    if (old.state == OrderState::kAssigned || old.state == OrderState::kPickedUp) {
      auto r = rider_orders_.find(old.rider_id);
      if (r != rider_orders_.end()) {
        r->second.erase(id);
        if (r->second.empty()) rider_orders_.erase(r);
      }
    }
    --counts_[static_cast<size_t>(old.state)];
    if (was_open) --open_;
  }
  if (order.state == OrderState::kCreated) waiting_.insert({order.placed_ms, id});
  if (order.state == OrderState::kAssigned || order.state == OrderState::kPickedUp) {
    rider_orders_[order.rider_id].insert(id);
  }
  ++counts_[static_cast<size_t>(order.state)];
  bool now_open = is_open(order.state);
  if (now_open) ++open_;
  if (!now_open && (it == orders_.end() || was_open)) closed_.push_back(id);
  if (from != order.state) metrics_.transition(from, order.state);
  if (!order.idempotency_key.empty()) order_by_key_[order.idempotency_key] = id;
  orders_[id] = std::move(order);
}

void OrderBook::install_offer(OfferRecord offer) {
  const std::string id = offer.offer_id;
  auto it = pending_.find(id);
  if (it == pending_.end()) {
    ++offer_counts_[static_cast<size_t>(offer.state)];
    metrics_.offers_made.inc();
  } else if (offer.state != OfferState::kPending) {
    --offer_counts_[static_cast<size_t>(OfferState::kPending)];
    ++offer_counts_[static_cast<size_t>(offer.state)];
    metrics_.offer_resolved(offer.state);
  }
  if (offer.state == OfferState::kPending) {
    if (it == pending_.end()) expiries_.emplace(offer.expires_ms, id);
    pending_by_rider_[offer.rider_id] = id;
    pending_[id] = std::move(offer);
    return;
  }
  if (it == pending_.end()) return;
  auto [lo, hi] = expiries_.equal_range(it->second.expires_ms);
  for (auto e = lo; e != hi; ++e) {
    if (e->second == id) {
      expiries_.erase(e);
      break;
    }
  }
  pending_by_rider_.erase(it->second.rider_id);
  pending_.erase(it);
}

void OrderBook::evict_closed() {
  while (closed_.size() > options_.max_closed_in_memory) {
    auto it = orders_.find(closed_.front());
    closed_.pop_front();
    if (it == orders_.end() || is_open(it->second.state)) continue;
    if (!it->second.idempotency_key.empty()) order_by_key_.erase(it->second.idempotency_key);
    orders_.erase(it);
  }
}

void OrderBook::update_gauges() {
  for (OrderState s : kAllOrderStates) {
    metrics_.orders_by_state[static_cast<size_t>(s)]->set(static_cast<int64_t>(counts_[static_cast<size_t>(s)]));
  }
  metrics_.offers_pending.set(static_cast<int64_t>(pending_.size()));
  metrics_.orders_in_memory.set(static_cast<int64_t>(orders_.size()));
}

void OrderBook::set_state(Order& order, OrderState to, TimelineEntry entry) {
  order.state = to;
  entry.state = to;
  order.timeline.push_back(std::move(entry));
}

Notification OrderBook::notification(Audience audience, const std::string& recipient, const Order& order,
                                     const TimelineEntry& entry) const {
  Notification n;
  n.audience = audience;
  n.recipient_id = recipient;
  n.order_id = order.order_id;
  n.event = entry.event;
  n.state = order.state;
  n.at_ms = entry.at_ms;
  n.rider_id = entry.rider_id.empty() ? order.rider_id : entry.rider_id;
  n.merchant_id = order.merchant_id;
  n.offer_id = entry.offer_id;
  n.eta_pickup_ms = order.eta_pickup_ms;
  n.eta_dropoff_ms = order.eta_dropoff_ms;
  return n;
}

void OrderBook::notify_customer(Transition& t, const Order& order, const TimelineEntry& entry) const {
  // Orders without a customer id are followed by their order id (e.g. a tracking page).
  const std::string& who = order.customer_id.empty() ? order.order_id : order.customer_id;
  t.notifications.push_back(notification(Audience::kCustomer, who, order, entry));
}

Expected<std::optional<Order>> OrderBook::lookup(const std::string& order_id, const char* op) {
  if (auto it = orders_.find(order_id); it != orders_.end()) return std::optional<Order>(it->second);
  // Every open order is in memory: the store only adds closed orders evicted from it.
  auto stored = store_.find_order(order_id);
  if (!stored) return store_failed(op, stored.error());
  return std::move(*stored);
}

void OrderBook::restore(const StoreSnapshot& snapshot) {
  orders_.clear();
  order_by_key_.clear();
  closed_.clear();
  waiting_.clear();
  rider_orders_.clear();
  pending_.clear();
  pending_by_rider_.clear();
  expiries_.clear();
  counts_ = snapshot.orders_by_state;
  offer_counts_ = snapshot.offers_by_state;
  next_offer_seq_ = std::max<uint64_t>(1, snapshot.next_offer_seq);
  open_ = 0;

  for (const auto& o : snapshot.open_orders) {
    if (o.state == OrderState::kCreated) waiting_.insert({o.placed_ms, o.order_id});
    if (o.state == OrderState::kAssigned || o.state == OrderState::kPickedUp) {
      rider_orders_[o.rider_id].insert(o.order_id);
    }
    if (!o.idempotency_key.empty()) order_by_key_[o.idempotency_key] = o.order_id;
    orders_[o.order_id] = o;
    ++open_;
  }
  uint64_t repaired = 0;
  for (OfferRecord r : snapshot.pending_offers) {
    // Transactions keep offers and orders in step; a leg that does not match its order
    // (a hand-edited database) is dropped, and the offer still times out as usual.
    auto matches = [&](const OfferLeg& leg) {
      auto it = orders_.find(leg.order_id);
      return it != orders_.end() && it->second.state == OrderState::kOffered && it->second.offer_id == r.offer_id;
    };
    auto before = r.legs.size();
    r.legs.erase(std::remove_if(r.legs.begin(), r.legs.end(), [&](const OfferLeg& l) { return !matches(l); }),
                 r.legs.end());
    repaired += before - r.legs.size();
    expiries_.emplace(r.expires_ms, r.offer_id);
    pending_by_rider_[r.rider_id] = r.offer_id;
    pending_[r.offer_id] = std::move(r);
  }
  for (auto& [id, o] : orders_) {
    if (o.state != OrderState::kOffered || pending_.count(o.offer_id)) continue;
    // An offered order whose offer row is missing: give it an offer that expires as the
    // lost one would have, so the next expire_offers() puts it back in dispatch durably.
    OfferRecord r;
    r.seq = next_offer_seq_++;
    r.offer_id = o.offer_id.empty() ? "offer-" + std::to_string(r.seq) : o.offer_id;
    r.rider_id = o.timeline.empty() ? std::string() : o.timeline.back().rider_id;
    r.legs.push_back(OfferLeg{o.order_id, o.merchant_id, "", o.pickup_lat, o.pickup_lon, o.dropoff_lat, o.dropoff_lon,
                              o.ready_ms, o.promised_ms, 0, 0});
    r.created_ms = o.offer_expires_ms - options_.offer_timeout_ms;
    r.expires_ms = o.offer_expires_ms;
    o.offer_id = r.offer_id;
    ++offer_counts_[static_cast<size_t>(OfferState::kPending)];
    expiries_.emplace(r.expires_ms, r.offer_id);
    pending_by_rider_[r.rider_id] = r.offer_id;
    pending_[r.offer_id] = std::move(r);
    ++repaired;
  }
  if (repaired > 0) {
    metrics_.restore_repairs.inc(repaired);
    TW_WARN("dispatch", "restore repaired " << repaired << " offer/order mismatches; the offers time out as usual");
  }
  update_gauges();
  TW_INFO("dispatch", "restored " << open_ << " open orders (" << waiting_.size() << " waiting), " << pending_.size()
                                  << " pending offers; next offer seq " << next_offer_seq_);
}

const Order* OrderBook::find(const std::string& order_id) const {
  auto it = orders_.find(order_id);
  return it == orders_.end() ? nullptr : &it->second;
}

Expected<v1::OrderView> OrderBook::view(const std::string& order_id) {
  if (const Order* o = find(order_id)) return to_view(*o);
  auto stored = store_.find_order(order_id);
  if (!stored) return stored.error().with_context("read order " + order_id);
  if (!*stored) return make_error(ErrorCode::kNotFound, "unknown order '" + order_id + "'", reject::kUnknownOrder);
  return to_view(**stored);
}

std::vector<const Order*> OrderBook::waiting(size_t limit) const {
  std::vector<const Order*> out;
  out.reserve(std::min(limit, waiting_.size()));
  for (const auto& [placed, id] : waiting_) {
    if (out.size() >= limit) break;
    out.push_back(&orders_.at(id));
  }
  return out;
}

std::vector<const Order*> OrderBook::orders_of_rider(const std::string& rider_id) const {
  std::vector<const Order*> out;
  auto it = rider_orders_.find(rider_id);
  if (it == rider_orders_.end()) return out;
  for (const auto& id : it->second) out.push_back(&orders_.at(id));
  return out;
}

const OfferRecord* OrderBook::pending_offer(const std::string& offer_id) const {
  auto it = pending_.find(offer_id);
  return it == pending_.end() ? nullptr : &it->second;
}

const OfferRecord* OrderBook::pending_offer_of_rider(const std::string& rider_id) const {
  auto it = pending_by_rider_.find(rider_id);
  return it == pending_by_rider_.end() ? nullptr : pending_offer(it->second);
}

std::optional<int64_t> OrderBook::next_offer_expiry_ms() const {
  if (expiries_.empty()) return std::nullopt;
  return expiries_.begin()->first;
}

void OrderBook::fill_stats(v1::DispatchStats& s) const {
  using protocols::count32;
  s.set_orders_created(count32(count(OrderState::kCreated)));
  s.set_orders_offered(count32(count(OrderState::kOffered)));
  s.set_orders_assigned(count32(count(OrderState::kAssigned)));
  s.set_orders_picked_up(count32(count(OrderState::kPickedUp)));
  s.set_orders_delivered(count32(count(OrderState::kDelivered)));
  s.set_orders_cancelled(count32(count(OrderState::kCancelled)));
  s.set_offers_pending(count32(offer_count(OfferState::kPending)));
  s.set_offers_accepted(count32(offer_count(OfferState::kAccepted)));
  s.set_offers_declined(count32(offer_count(OfferState::kDeclined)));
  s.set_offers_timed_out(count32(offer_count(OfferState::kTimedOut)));
  s.set_offers_withdrawn(count32(offer_count(OfferState::kWithdrawn)));
  s.set_requests_rejected(count32(rejected_));
  s.set_merchants(count32(merchants_.size()));
}

}  // namespace tidewire::dispatch

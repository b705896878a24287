#include "tidewire/dispatch/order.hpp"

#include <algorithm>
#include <cmath>

namespace tidewire::dispatch {

const char* state_name(OrderState state) {
  switch (state) {
    case OrderState::kCreated: return "created";
    case OrderState::kOffered: return "offered";
    case OrderState::kAssigned: return "assigned";
    case OrderState::kPickedUp: return "picked_up";
    case OrderState::kDelivered: return "delivered";
    case OrderState::kCancelled: return "cancelled";
  }
  return "unknown";
}

v1::OrderState to_proto(OrderState state) {
  switch (state) {
    case OrderState::kCreated: return v1::ORDER_STATE_CREATED;
    case OrderState::kOffered: return v1::ORDER_STATE_OFFERED;
    case OrderState::kAssigned: return v1::ORDER_STATE_ASSIGNED;
    case OrderState::kPickedUp: return v1::ORDER_STATE_PICKED_UP;
    case OrderState::kDelivered: return v1::ORDER_STATE_DELIVERED;
    case OrderState::kCancelled: return v1::ORDER_STATE_CANCELLED;
  }
  return v1::ORDER_STATE_UNSPECIFIED;
}

Expected<OrderState> order_state_from_proto(v1::OrderState state) {
  for (OrderState s : kAllOrderStates)
    if (to_proto(s) == state) return s;
  return make_error(ErrorCode::kMalformed, "order state " + std::to_string(static_cast<int>(state)) + " is not known");
}

const char* offer_state_name(OfferState state) {
  switch (state) {
    case OfferState::kPending: return "pending";
    case OfferState::kAccepted: return "accepted";
    case OfferState::kDeclined: return "declined";
    case OfferState::kTimedOut: return "timed_out";
    case OfferState::kWithdrawn: return "withdrawn";
  }
  return "unknown";
}

v1::OfferState to_proto(OfferState state) {
  switch (state) {
    case OfferState::kPending: return v1::OFFER_STATE_PENDING;
    case OfferState::kAccepted: return v1::OFFER_STATE_ACCEPTED;
    case OfferState::kDeclined: return v1::OFFER_STATE_DECLINED;
    case OfferState::kTimedOut: return v1::OFFER_STATE_TIMED_OUT;
    case OfferState::kWithdrawn: return v1::OFFER_STATE_WITHDRAWN;
  }
  return v1::OFFER_STATE_UNSPECIFIED;
}

Expected<OfferState> offer_state_from_proto(v1::OfferState state) {
  for (OfferState s : {OfferState::kPending, OfferState::kAccepted, OfferState::kDeclined, OfferState::kTimedOut,
                       OfferState::kWithdrawn}) {
    if (to_proto(s) == state) return s;
  }
  return make_error(ErrorCode::kMalformed, "offer state " + std::to_string(static_cast<int>(state)) + " is not known");
}

const char* audience_name(Audience audience) {
  switch (audience) {
    case Audience::kCustomer: return "customer";
    case Audience::kMerchant: return "merchant";
    case Audience::kRider: return "rider";
  }
  return "unknown";
}

bool valid_coordinates(double lat, double lon) {
  return std::isfinite(lat) && std::isfinite(lon) && lat >= -90.0 && lat <= 90.0 && lon >= -180.0 && lon <= 180.0;
}

bool Order::excludes(std::string_view rider) const {
  auto has = [&](const std::vector<std::string>& v) { return std::find(v.begin(), v.end(), rider) != v.end(); };
  return has(declined_riders) || has(timed_out_riders);
}

v1::OrderView to_view(const Order& o) {
  v1::OrderView v;
  v.set_order_id(o.order_id);
  v.set_merchant_id(o.merchant_id);
  v.set_customer_id(o.customer_id);
  v.set_state(to_proto(o.state));
  v.set_rider_id(o.rider_id);
  v.set_pickup_lat(o.pickup_lat);
  v.set_pickup_lon(o.pickup_lon);
  v.set_dropoff_lat(o.dropoff_lat);
  v.set_dropoff_lon(o.dropoff_lon);
  v.set_placed_ms(o.placed_ms);
  v.set_ready_ms(o.ready_ms);
  v.set_promised_ms(o.promised_ms);
  v.set_created_ms(o.created_ms);
  v.set_assigned_ms(o.assigned_ms);
  v.set_picked_up_ms(o.picked_up_ms);
  v.set_delivered_ms(o.delivered_ms);
  v.set_cancelled_ms(o.cancelled_ms);
  v.set_eta_pickup_ms(o.eta_pickup_ms);
  v.set_eta_dropoff_ms(o.eta_dropoff_ms);
  v.set_offer_id(o.offer_id);
  v.set_offer_expires_ms(o.offer_expires_ms);
  v.set_offers_made(o.offers_made);
  for (const auto& r : o.declined_riders) v.add_declined_rider_ids(r);
  for (const auto& r : o.timed_out_riders) v.add_timed_out_rider_ids(r);
  for (const auto& e : o.timeline) {
    auto* ev = v.add_timeline();
    ev->set_event(e.event);
    ev->set_state(to_proto(e.state));
    ev->set_at_ms(e.at_ms);
    ev->set_rider_id(e.rider_id);
    ev->set_offer_id(e.offer_id);
    ev->set_note(e.note);
    if (e.has_position) {
      ev->mutable_position()->set_lat(e.lat);
      ev->mutable_position()->set_lon(e.lon);
    }
  }
  return v;
}

Expected<Order> order_from_view(const v1::OrderView& v, std::string idempotency_key, std::string request_fingerprint) {
  Order o;
  auto state = order_state_from_proto(v.state());
  if (!state) return state.error().with_context("order " + v.order_id());
  o.order_id = v.order_id();
  o.merchant_id = v.merchant_id();
  o.customer_id = v.customer_id();
  o.idempotency_key = std::move(idempotency_key);
  o.request_fingerprint = std::move(request_fingerprint);
  o.state = *state;
  o.rider_id = v.rider_id();
  o.pickup_lat = v.pickup_lat();
  o.pickup_lon = v.pickup_lon();
  o.dropoff_lat = v.dropoff_lat();
  o.dropoff_lon = v.dropoff_lon();
  o.placed_ms = v.placed_ms();
  o.ready_ms = v.ready_ms();
  o.promised_ms = v.promised_ms();
  o.created_ms = v.created_ms();
  o.assigned_ms = v.assigned_ms();
  o.picked_up_ms = v.picked_up_ms();
  o.delivered_ms = v.delivered_ms();
  o.cancelled_ms = v.cancelled_ms();
  o.eta_pickup_ms = v.eta_pickup_ms();
  o.eta_dropoff_ms = v.eta_dropoff_ms();
  o.offer_id = v.offer_id();
  o.offer_expires_ms = v.offer_expires_ms();
  o.offers_made = v.offers_made();
  o.declined_riders.assign(v.declined_rider_ids().begin(), v.declined_rider_ids().end());
  o.timed_out_riders.assign(v.timed_out_rider_ids().begin(), v.timed_out_rider_ids().end());
  for (const auto& ev : v.timeline()) {
    TimelineEntry e;
    auto s = order_state_from_proto(ev.state());
    if (!s) return s.error().with_context("timeline of order " + v.order_id());
    e.event = ev.event();
    e.state = *s;
    e.at_ms = ev.at_ms();
    e.rider_id = ev.rider_id();
    e.offer_id = ev.offer_id();
    e.note = ev.note();
    e.has_position = ev.has_position();
    e.lat = ev.position().lat();
    e.lon = ev.position().lon();
    o.timeline.push_back(std::move(e));
  }
  return o;
}

v1::Offer to_proto(const OfferRecord& r) {
  v1::Offer m;
  m.set_offer_id(r.offer_id);
  m.set_rider_id(r.rider_id);
  for (const auto& l : r.legs) {
    auto* leg = m.add_legs();
    leg->set_order_id(l.order_id);
    leg->set_merchant_id(l.merchant_id);
    leg->set_merchant_name(l.merchant_name);
    leg->set_pickup_lat(l.pickup_lat);
    leg->set_pickup_lon(l.pickup_lon);
    leg->set_dropoff_lat(l.dropoff_lat);
    leg->set_dropoff_lon(l.dropoff_lon);
    leg->set_ready_ms(l.ready_ms);
    leg->set_promised_ms(l.promised_ms);
    leg->set_eta_pickup_ms(l.eta_pickup_ms);
    leg->set_eta_dropoff_ms(l.eta_dropoff_ms);
  }
  m.set_created_ms(r.created_ms);
  m.set_expires_ms(r.expires_ms);
  m.set_state(to_proto(r.state));
  m.set_resolved_ms(r.resolved_ms);
  return m;
}

Expected<OfferRecord> offer_from_proto(const v1::Offer& m, uint64_t seq) {
  auto state = offer_state_from_proto(m.state());
  if (!state) return state.error().with_context("offer " + m.offer_id());
  OfferRecord r;
  r.offer_id = m.offer_id();
  r.seq = seq;
  r.rider_id = m.rider_id();
  for (const auto& leg : m.legs()) {
    OfferLeg l;
    l.order_id = leg.order_id();
    l.merchant_id = leg.merchant_id();
    l.merchant_name = leg.merchant_name();
    l.pickup_lat = leg.pickup_lat();
    l.pickup_lon = leg.pickup_lon();
    l.dropoff_lat = leg.dropoff_lat();
    l.dropoff_lon = leg.dropoff_lon();
    l.ready_ms = leg.ready_ms();
    l.promised_ms = leg.promised_ms();
    l.eta_pickup_ms = leg.eta_pickup_ms();
    l.eta_dropoff_ms = leg.eta_dropoff_ms();
    r.legs.push_back(std::move(l));
  }
  r.created_ms = m.created_ms();
  r.expires_ms = m.expires_ms();
  r.state = *state;
  r.resolved_ms = m.resolved_ms();
  return r;
}

v1::OrderUpdate to_proto(const Notification& n) {
  v1::OrderUpdate u;
  u.set_order_id(n.order_id);
  u.set_state(to_proto(n.state));
  u.set_event(n.event);
  u.set_at_ms(n.at_ms);
  u.set_rider_id(n.rider_id);
  u.set_merchant_id(n.merchant_id);
  u.set_offer_id(n.offer_id);
  u.set_eta_pickup_ms(n.eta_pickup_ms);
  u.set_eta_dropoff_ms(n.eta_dropoff_ms);
  return u;
}

}  // namespace tidewire::dispatch

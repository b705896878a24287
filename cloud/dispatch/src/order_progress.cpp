// OrderBook after assignment: the rider's pickup and delivery reports, and cancellation.
#include "order_rejects.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/dispatch/order_book.hpp"

namespace tidewire::dispatch {
namespace {

bool printable(const std::string& s) {
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) return false;
  }
  return true;
}

}  // namespace

Expected<Transition> OrderBook::pick_up(const RiderReport& r) {
  return report("pick_up", r, OrderState::kAssigned, OrderState::kPickedUp);
}

Expected<Transition> OrderBook::deliver(const RiderReport& r) {
  return report("deliver", r, OrderState::kPickedUp, OrderState::kDelivered);
}

Expected<Transition> OrderBook::report(const char* op, const RiderReport& r, OrderState from, OrderState to) {
  constexpr auto conflict = ErrorCode::kConflict;
  if (auto st = check_rider_id(op, r.rider_id); !st) return st.error();
  if (r.has_position && !valid_coordinates(r.lat, r.lon)) {
    return refuse(op, reject::kInvalidCoordinates, ErrorCode::kInvalidArgument,
                  "reported position must have lat -90..90 and lon -180..180");
  }
  auto found = lookup(r.order_id, op);
  if (!found) return found.error();
  if (!*found) return refuse(op, reject::kUnknownOrder, ErrorCode::kNotFound, "unknown order '" + r.order_id + "'");
  const Order& current = **found;
  if (current.rider_id.empty()) {
    return refuse(op, reject::kInvalidTransition, conflict,
                  "order " + r.order_id + " is " + state_name(current.state) + " and has no rider assigned");
  }
  if (current.rider_id != r.rider_id) {
    return refuse(op, reject::kNotAssignedRider, conflict,
                  "order " + r.order_id + " is assigned to another rider, not " + r.rider_id);
  }
  // A repeated report (the terminal re-sent it, or a late pickup after the delivery)
  // describes what already happened: nothing to do.
  if (current.state == to || (to == OrderState::kPickedUp && current.state == OrderState::kDelivered)) {
    metrics_.duplicate(op);
    return Transition{{}, true};
  }
  // A delivery by the assigned rider while the order is still ASSIGNED: the pickup report is
  // late, not missing. The pipeline delivers each report exactly once but not always in
  // order: a batch lost with a killed cloud is re-sent after newer ones were stored
  // (DispatchFaultTest). Refusing the delivery would strand the order in PICKED_UP once the
  // late pickup arrives, so the delivery implies the pickup, and the late pickup report is
  // then absorbed as a duplicate.
  const bool implied_pickup = to == OrderState::kDelivered && current.state == OrderState::kAssigned;
  if (current.state != from && !implied_pickup) {
    return refuse(op, reject::kInvalidTransition, conflict,
                  "order " + r.order_id + " is " + state_name(current.state) + "; it must be " + state_name(from) +
                      " to become " + state_name(to));
  }
  const int64_t now = clock_.wall_ms();
  Order o = current;
  Transition t;
  if (implied_pickup) {
    o.picked_up_ms = now;
    TimelineEntry pickup;
    pickup.event = state_name(OrderState::kPickedUp);
    pickup.at_ms = now;
    pickup.rider_id = r.rider_id;
    pickup.note = "implied by the delivery report (the pickup report had not arrived)";
    set_state(o, OrderState::kPickedUp, pickup);
    notify_customer(t, o, o.timeline.back());
  }
  (to == OrderState::kPickedUp ? o.picked_up_ms : o.delivered_ms) = now;
  TimelineEntry entry;
  entry.event = state_name(to);
  entry.at_ms = now;
  entry.rider_id = r.rider_id;
  entry.has_position = r.has_position;
  entry.lat = r.lat;
  entry.lon = r.lon;
  set_state(o, to, entry);
  notify_customer(t, o, o.timeline.back());
  if (auto st = commit(op, OrderChange{{o}, {}}); !st) return st.error();
  TW_DEBUG("dispatch", "order " << r.order_id << " " << state_name(to) << " by rider " << r.rider_id);
  return t;
}

Expected<Transition> OrderBook::cancel(const std::string& order_id, const std::string& note) {
  constexpr const char* kOp = "cancel";
  if (note.size() > options_.max_note_bytes || !printable(note)) {
    return refuse(kOp, reject::kInvalidNote, ErrorCode::kInvalidArgument,
                  "a cancellation note is at most " + std::to_string(options_.max_note_bytes) +
                      " bytes without control characters");
  }
  auto found = lookup(order_id, kOp);
  if (!found) return found.error();
  if (!*found) return refuse(kOp, reject::kUnknownOrder, ErrorCode::kNotFound, "unknown order '" + order_id + "'");
  Order o = std::move(**found);
  if (o.state == OrderState::kCancelled) {
    metrics_.duplicate(kOp);
    return Transition{{}, true};
  }
  if (o.state == OrderState::kPickedUp || o.state == OrderState::kDelivered) {
    // The food is with the rider (or the customer): cancelling would strand it. The rider
    // delivers; refunds are a business matter outside dispatch.
    return refuse(
        kOp, reject::kInvalidTransition, ErrorCode::kConflict,
        "order " + order_id + " is " + state_name(o.state) + "; once picked up it can no longer be cancelled");
  }

  const int64_t now = clock_.wall_ms();
  OrderChange change;
  std::string told_rider;  // the rider who must drop it from its terminal
  std::string offer_id;
  if (o.state == OrderState::kOffered) {
    if (auto it = pending_.find(o.offer_id); it != pending_.end()) {
      OfferRecord offer = it->second;
      std::erase_if(offer.legs, [&](const OfferLeg& l) { return l.order_id == order_id; });
      if (offer.legs.empty()) {
        offer.state = OfferState::kWithdrawn;
        offer.resolved_ms = now;
      }
      told_rider = offer.rider_id;
      offer_id = offer.offer_id;
      change.offers.push_back(std::move(offer));
    }
  } else if (o.state == OrderState::kAssigned) {
    told_rider = o.rider_id;
  }
  o.offer_id.clear();
  o.offer_expires_ms = 0;
  o.cancelled_ms = now;
  TimelineEntry entry;
  entry.event = "cancelled";
  entry.at_ms = now;
  entry.rider_id = told_rider;
  entry.offer_id = offer_id;
  entry.note = note;
  set_state(o, OrderState::kCancelled, entry);

  Transition t;
  const TimelineEntry& e = o.timeline.back();
  notify_customer(t, o, e);
  t.notifications.push_back(notification(Audience::kMerchant, o.merchant_id, o, e));
  if (!told_rider.empty()) t.notifications.push_back(notification(Audience::kRider, told_rider, o, e));
  change.orders.push_back(o);
  if (auto st = commit(kOp, std::move(change)); !st) return st.error();
  TW_INFO("dispatch", "order " << order_id << " cancelled" << (note.empty() ? "" : ": ") << note);
  return t;
}

}  // namespace tidewire::dispatch

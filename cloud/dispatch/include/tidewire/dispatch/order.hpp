#pragma once
// The order side of dispatch as plain values: an order and its timeline, an offer, and the
// notifications a transition produces. The lifecycle (who may move an order where) lives
// in OrderBook; these types only carry state, plus the conversions to the wire schema
// (dispatch.proto), which is also the stored form.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/v1/dispatch.pb.h"

namespace tidewire::dispatch {

// created -> offered -> assigned -> picked_up -> delivered; cancelled from the first three.
// See docs/dispatch.md for every transition.
enum class OrderState { kCreated, kOffered, kAssigned, kPickedUp, kDelivered, kCancelled };
inline constexpr size_t kOrderStateCount = 6;
inline constexpr std::array<OrderState, kOrderStateCount> kAllOrderStates{
    OrderState::kCreated,  OrderState::kOffered,   OrderState::kAssigned,
    OrderState::kPickedUp, OrderState::kDelivered, OrderState::kCancelled};

const char* state_name(OrderState state);  // "created", "picked_up", ...
// Delivered and cancelled orders are closed: nothing moves them any more.
inline bool is_open(OrderState s) {
  return s != OrderState::kDelivered && s != OrderState::kCancelled;
}
v1::OrderState to_proto(OrderState state);
Expected<OrderState> order_state_from_proto(v1::OrderState state);

// One step of an order's life (v1::OrderEvent).
struct TimelineEntry {
  std::string event;                        // created | offered | offer_declined | offer_timed_out | assigned | ...
  OrderState state = OrderState::kCreated;  // after the step
  int64_t at_ms = 0;
  std::string rider_id;
  std::string offer_id;
  std::string note;
  bool has_position = false;  // the rider reported where it was
  double lat = 0;
  double lon = 0;
};

struct Order {
  std::string order_id;
  std::string merchant_id;
  std::string customer_id;
  // Retries of the creating request carry the same key and the same request bytes.
  std::string idempotency_key;
  std::string request_fingerprint;

  double pickup_lat = 0;  // the merchant's location at creation
  double pickup_lon = 0;
  double dropoff_lat = 0;
  double dropoff_lon = 0;
  int64_t placed_ms = 0;
  int64_t ready_ms = 0;
  int64_t promised_ms = 0;
  int64_t created_ms = 0;

  OrderState state = OrderState::kCreated;
  std::string rider_id;  // from ASSIGNED on
  std::string offer_id;  // while OFFERED
  int64_t offer_expires_ms = 0;
  int64_t assigned_ms = 0;
  int64_t picked_up_ms = 0;
  int64_t delivered_ms = 0;
  int64_t cancelled_ms = 0;
  int64_t eta_pickup_ms = 0;
  int64_t eta_dropoff_ms = 0;
  uint32_t offers_made = 0;
  // Riders who declined this order or let an offer of it expire: never offered it again.
  std::vector<std::string> declined_riders;
  std::vector<std::string> timed_out_riders;
  std::vector<TimelineEntry> timeline;

  bool excludes(std::string_view rider_id) const;
};

v1::OrderView to_view(const Order& order);
// Rebuilds an order from its stored view; the key and fingerprint are stored beside it.
Expected<Order> order_from_view(const v1::OrderView& view, std::string idempotency_key,
                                std::string request_fingerprint);

enum class OfferState { kPending, kAccepted, kDeclined, kTimedOut, kWithdrawn };
inline constexpr size_t kOfferStateCount = 5;
const char* offer_state_name(OfferState state);  // "pending", "timed_out", ...
v1::OfferState to_proto(OfferState state);
Expected<OfferState> offer_state_from_proto(v1::OfferState state);

// One order inside an offer, with everything the rider needs to decide (v1::OfferLeg).
struct OfferLeg {
  std::string order_id;
  std::string merchant_id;
  std::string merchant_name;
  double pickup_lat = 0;
  double pickup_lon = 0;
  double dropoff_lat = 0;
  double dropoff_lon = 0;
  int64_t ready_ms = 0;
  int64_t promised_ms = 0;
  int64_t eta_pickup_ms = 0;
  int64_t eta_dropoff_ms = 0;
};

struct OfferRecord {
  std::string offer_id;  // "offer-<seq>"
  uint64_t seq = 0;      // allocated in order, never reused (persisted)
  std::string rider_id;
  std::vector<OfferLeg> legs;  // the orders still in it (a cancelled order leaves it)
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
  OfferState state = OfferState::kPending;
  int64_t resolved_ms = 0;
};

v1::Offer to_proto(const OfferRecord& offer);
Expected<OfferRecord> offer_from_proto(const v1::Offer& offer, uint64_t seq);

// Who hears about a transition. The domain only builds these; the caller publishes them
// (MQTT topic or push service) after the call that produced them returned.
enum class Audience { kCustomer, kMerchant, kRider };
const char* audience_name(Audience audience);

struct Notification {
  Audience audience = Audience::kCustomer;
  // customer_id (or the order id when the order has none), merchant_id or rider_id.
  std::string recipient_id;
  std::string order_id;
  std::string event;  // as in the timeline
  OrderState state = OrderState::kCreated;
  int64_t at_ms = 0;
  std::string rider_id;
  std::string merchant_id;
  std::string offer_id;
  int64_t eta_pickup_ms = 0;
  int64_t eta_dropoff_ms = 0;
};

v1::OrderUpdate to_proto(const Notification& notification);

// Finite and within -90..90 / -180..180.
bool valid_coordinates(double lat, double lon);

}  // namespace tidewire::dispatch

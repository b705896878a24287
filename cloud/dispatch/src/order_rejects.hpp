#pragma once
// Reject reasons of the order side, one list: they label tw_dispatch_rejects_total and are
// the Error::reason of every refusal (the HTTP ErrorBody.reason, an OrderUpdate's reason).
#include <string_view>

namespace tidewire::dispatch::reject {

// create
inline constexpr const char* kInvalidOrderId = "invalid_order_id";
inline constexpr const char* kInvalidIdempotencyKey = "invalid_idempotency_key";
inline constexpr const char* kInvalidCustomerId = "invalid_customer_id";
inline constexpr const char* kInvalidCoordinates = "invalid_coordinates";
inline constexpr const char* kInvalidTime = "invalid_time";
inline constexpr const char* kReadyBeforePlaced = "ready_before_placed";
inline constexpr const char* kPromisedBeforePlaced = "promised_before_placed";
inline constexpr const char* kPromisedBeforeReady = "promised_before_ready";
inline constexpr const char* kPlacedInFuture = "placed_in_future";
inline constexpr const char* kBeyondHorizon = "beyond_horizon";
inline constexpr const char* kUnknownMerchant = "unknown_merchant";
inline constexpr const char* kDuplicateOrderId = "duplicate_order_id";
inline constexpr const char* kIdempotencyConflict = "idempotency_conflict";
inline constexpr const char* kTooManyOpenOrders = "too_many_open_orders";
// transitions
inline constexpr const char* kUnknownOrder = "unknown_order";
inline constexpr const char* kInvalidTransition = "invalid_transition";
inline constexpr const char* kNotAssignedRider = "not_assigned_rider";
inline constexpr const char* kInvalidRiderId = "invalid_rider_id";
inline constexpr const char* kInvalidNote = "invalid_note";
// offers
inline constexpr const char* kEmptyOffer = "empty_offer";
inline constexpr const char* kTooManyOrdersInOffer = "too_many_orders_in_offer";
inline constexpr const char* kOrderRepeatedInOffer = "order_repeated_in_offer";
inline constexpr const char* kRiderExcluded = "rider_excluded";
inline constexpr const char* kRiderHasOffer = "rider_has_offer";
inline constexpr const char* kOfferLimit = "offer_limit";
inline constexpr const char* kInvalidEta = "invalid_eta";
// answers
inline constexpr const char* kUnknownOffer = "unknown_offer";
inline constexpr const char* kWrongRider = "wrong_rider";
inline constexpr const char* kOfferExpired = "offer_expired";
inline constexpr const char* kOfferResolved = "offer_resolved";
// merchants
inline constexpr const char* kInvalidMerchantId = "invalid_merchant_id";
inline constexpr const char* kInvalidName = "invalid_name";
inline constexpr const char* kTooManyMerchants = "too_many_merchants";

inline constexpr std::string_view kAll[] = {
    kInvalidOrderId,       kInvalidIdempotencyKey, kInvalidCustomerId,   kInvalidCoordinates, kInvalidTime,
    kReadyBeforePlaced,    kPromisedBeforePlaced,  kPromisedBeforeReady, kPlacedInFuture,     kBeyondHorizon,
    kUnknownMerchant,      kDuplicateOrderId,      kIdempotencyConflict, kTooManyOpenOrders,  kUnknownOrder,
    kInvalidTransition,    kNotAssignedRider,      kInvalidRiderId,      kInvalidNote,        kEmptyOffer,
    kTooManyOrdersInOffer, kOrderRepeatedInOffer,  kRiderExcluded,       kRiderHasOffer,      kOfferLimit,
    kInvalidEta,           kUnknownOffer,          kWrongRider,          kOfferExpired,       kOfferResolved,
    kInvalidMerchantId,    kInvalidName,           kTooManyMerchants};

// Counter family every refusal increments, labelled {op, reason}.
inline constexpr const char* kMetric = "tw_dispatch_rejects_total";
inline constexpr const char* kMetricHelp = "Dispatch requests refused without any change, by operation and reason";

}  // namespace tidewire::dispatch::reject

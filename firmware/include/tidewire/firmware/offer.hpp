#pragma once
// Dispatch offers on a rider terminal (docs/dispatch.md, "On the wire"): the cloud sends
// Command{name:"dispatch.offer", body: Offer, deadline_ms}, the terminal answers with
// CommandResult{outcome: OK, body: OfferAnswer}. Shared by the simulated and the board
// rider so both read and answer offers the same way.
#include <string>

#include "tidewire/common/expected.hpp"
#include "tidewire/firmware/hal.hpp"
#include "tidewire/v1/dispatch.pb.h"

namespace tidewire::firmware::offer {

inline constexpr const char* kOfferCommand = "dispatch.offer";
inline constexpr const char* kCancelCommand = "dispatch.cancel";
inline constexpr const char* kPickedUp = "order.picked_up";
inline constexpr const char* kDelivered = "order.delivered";
// Legs in one offer the terminal is willing to read; a bundle is two or three.
inline constexpr int kMaxLegs = 16;

// Decodes Command.body as an Offer (within the codec's command size limit) and checks
// what the terminal relies on: an offer id, 1..kMaxLegs legs, each with an order id and
// coordinates in range. The error message says which rule failed.
Expected<v1::Offer> decode(const v1::Command& command);

// The OK reply carrying OfferAnswer{offer_id, rider_id, accept}.
CommandReply answer(const v1::Offer& offer, bool accept, std::string why);

// FAILED reply for an offer body that did not decode or validate.
CommandReply malformed(const Error& error);

// An order.picked_up / order.delivered event at a position (HIGH priority).
HalEvent report(const char* type, const std::string& order_id, double lat, double lon);

}  // namespace tidewire::firmware::offer

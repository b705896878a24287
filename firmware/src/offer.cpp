#include "tidewire/firmware/offer.hpp"

#include <cmath>
#include <cstdio>

#include "tidewire/protocols/codec.hpp"

namespace tidewire::firmware::offer {
namespace {

bool valid_position(double lat, double lon) {
  return std::isfinite(lat) && std::isfinite(lon) && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 &&
         !(lat == 0 && lon == 0);
}

std::string degrees(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

}  // namespace

Expected<v1::Offer> decode(const v1::Command& command) {
  if (command.body().empty()) return make_error(ErrorCode::kInvalidArgument, "offer body is empty");
  auto offer = codec::decode<v1::Offer>(command.body(), codec::kMaxCommandBytes);
  if (!offer) return make_error(offer.error().code, "offer body: " + offer.error().message);
  if (offer->offer_id().empty()) return make_error(ErrorCode::kInvalidArgument, "offer has no offer_id");
  if (offer->legs_size() == 0) return make_error(ErrorCode::kInvalidArgument, "offer has no legs");
  if (offer->legs_size() > kMaxLegs)
    return make_error(ErrorCode::kInvalidArgument, "offer has " + std::to_string(offer->legs_size()) +
                                                       " legs; at most " + std::to_string(kMaxLegs) + " are taken");
  for (int i = 0; i < offer->legs_size(); ++i) {
    const auto& leg = offer->legs(i);
    std::string where = "offer leg " + std::to_string(i);
    if (leg.order_id().empty()) return make_error(ErrorCode::kInvalidArgument, where + " has no order_id");
    if (!valid_position(leg.pickup_lat(), leg.pickup_lon()))
      return make_error(ErrorCode::kInvalidArgument, where + " has an invalid pickup position");
    if (!valid_position(leg.dropoff_lat(), leg.dropoff_lon()))
      return make_error(ErrorCode::kInvalidArgument, where + " has an invalid drop-off position");
  }
  return offer;
}

CommandReply answer(const v1::Offer& offer, bool accept, std::string why) {
  v1::OfferAnswer a;
  a.set_offer_id(offer.offer_id());
  a.set_rider_id(offer.rider_id());
  a.set_accept(accept);
  CommandReply reply = CommandReply::ok(std::move(why));
  reply.body = codec::encode(a);
  reply.output["offer_id"] = offer.offer_id();
  reply.output["accept"] = accept ? "true" : "false";
  return reply;
}

CommandReply malformed(const Error& error) {
  return CommandReply::failed("dispatch.offer: " + error.message + "; not answered");
}

HalEvent report(const char* type, const std::string& order_id, double lat, double lon) {
  return {type, v1::PRIORITY_HIGH, {{"order_id", order_id}, {"lat", degrees(lat)}, {"lon", degrees(lon)}}};
}

}  // namespace tidewire::firmware::offer

#include "tidewire/dispatch/dispatcher_outputs.hpp"

#include "tidewire/protocols/topics.hpp"

namespace tidewire::dispatch {

Expected<std::string> CommandOfferSender::send_offer(const std::string& rider_id, const v1::Offer& offer) {
  auto created = commands_.create_with_body(rider_id, "dispatch.offer", offer.SerializeAsString(), offer.expires_ms());
  if (!created) return created.error();
  return created->view.command_id();
}

Status CommandOfferSender::send_cancel(const std::string& rider_id, const std::string& order_id) {
  v1::CommandRequest request;
  request.set_name("dispatch.cancel");
  (*request.mutable_args())["order_id"] = order_id;
  auto created = commands_.create(rider_id, request, "");
  if (!created) return created.error();
  return {};
}

Status TransportUpdatePublisher::publish(Audience audience, const std::string& recipient_id,
                                         const v1::OrderUpdate& update) {
  topics::Audience to = audience == Audience::kCustomer   ? topics::Audience::kCustomer
                        : audience == Audience::kMerchant ? topics::Audience::kMerchant
                                                          : topics::Audience::kRider;
  auto topic = topics::order_update_topic(to, recipient_id);
  if (!topic) return topic.error();
  return transport_.publish({*topic, update.SerializeAsString(), 1, false}, nullptr);
}

}  // namespace tidewire::dispatch

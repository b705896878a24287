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

cloud::DeviceSubscription device_subscription(std::function<bool(DispatchTask)> post, std::function<bool()> settle) {
  using cloud::DeviceItemType;
  cloud::DeviceSubscription s;
  s.subscriber = "dispatch";
  s.filters = {{DeviceItemType::kStatus, v1::DEVICE_KIND_RIDER, "", false},
               {DeviceItemType::kEvent, v1::DEVICE_KIND_RIDER, "order.", true},
               {DeviceItemType::kEvent, v1::DEVICE_KIND_MERCHANT, "order.", true},
               {DeviceItemType::kCommandResult, std::nullopt, "dispatch.offer", true}};
  s.on_item = [post = std::move(post)](const cloud::DeviceItem& item) -> bool {
    const v1::Envelope& env = item.envelope;
    switch (env.body_case()) {
      case v1::Envelope::kStatus: {
        if (!env.status().has_rider()) return true;  // not a rider's position: nothing to do
        return post([id = env.device_id(), s = env.status().rider(), at = item.received_ms](Dispatcher& d) {
          d.on_rider_status(id, s, at);
        });
      }
      case v1::Envelope::kEvent:
        if (env.kind() == v1::DEVICE_KIND_MERCHANT) {
          // The whole envelope: a merchant's order is keyed on its (device, boot, seq).
          return post([env](Dispatcher& d) { d.on_merchant_event(env); });
        }
        return post([id = env.device_id(), e = env.event()](Dispatcher& d) { d.on_rider_event(id, e); });
      case v1::Envelope::kResult:
        return post([id = env.device_id(), r = env.result()](Dispatcher& d) { d.on_offer_result(id, r); });
      default: return true;
    }
  };
  s.settle = std::move(settle);
  return s;
}

}  // namespace tidewire::dispatch

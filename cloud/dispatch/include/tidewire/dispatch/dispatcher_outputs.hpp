#pragma once
// The Dispatcher's outputs wired to the cloud: offers as "dispatch.offer" commands through
// the CommandService (deadline = the offer's expiry), order updates as v1::OrderUpdate QoS1
// on topics::order_update_topic() through the cloud's Transport; and its inputs: what
// riders and merchants report, as a subscription to the cloud's DeviceFeed.
#include <functional>

#include "tidewire/cloud/command_service.hpp"
#include "tidewire/cloud/device_feed.hpp"
#include "tidewire/dispatch/dispatcher.hpp"
#include "tidewire/transport/transport.hpp"

namespace tidewire::dispatch {

class CommandOfferSender final : public OfferSender {
 public:
  explicit CommandOfferSender(cloud::CommandService& commands) : commands_(commands) {}
  Expected<std::string> send_offer(const std::string& rider_id, const v1::Offer& offer) override;
  Status send_cancel(const std::string& rider_id, const std::string& order_id) override;

 private:
  cloud::CommandService& commands_;
};

class TransportUpdatePublisher final : public UpdatePublisher {
 public:
  explicit TransportUpdatePublisher(transport::Transport& transport) : transport_(transport) {}
  Status publish(Audience audience, const std::string& recipient_id, const v1::OrderUpdate& update) override;

 private:
  transport::Transport& transport_;
};

// What the dispatcher takes from ingest: rider statuses (latest-wins, best effort: a full
// queue drops one and the next report covers it), riders' "order." events, merchants'
// "order." events and the answers to "dispatch.offer" commands. Those decide things, so
// they hold the batch's ack: `post` hands each to the dispatcher's thread (false = queue
// full), and `settle` waits until everything posted ran.
using DispatchTask = std::function<void(Dispatcher&)>;
cloud::DeviceSubscription device_subscription(std::function<bool(DispatchTask)> post, std::function<bool()> settle);

}  // namespace tidewire::dispatch

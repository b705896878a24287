#pragma once
// The cloud's Notifier (tidewire/cloud/notifier.hpp) on the PushService: notices become
// push notifications.
//
// A caller names recipients when it is configured (an alert rule); they may be deleted or
// never have been registered. The push API refuses a whole request that names an unknown
// recipient, so here such ids are dropped (WARN, tw_push_notice_unknown_recipients_total)
// and the notice goes to the rest. With nobody left the answer is kInvalidArgument. A
// retry of a notice sent that way conflicts with its own idempotency key: that is "sent".
#include "tidewire/cloud/notifier.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/push/push_service.hpp"

namespace tidewire::push {

class PushNotifier final : public cloud::Notifier {
 public:
  PushNotifier(PushService& service, MetricsRegistry& metrics) : service_(service), metrics_(metrics) {}
  // cloud::Notifier
  Status notify(const v1::PushRequest& request, const std::string& idempotency_key) override;

 private:
  PushService& service_;
  MetricsRegistry& metrics_;
};

}  // namespace tidewire::push

#pragma once
// The AlertSink on the cloud's own PushService: alert notices become push notifications.
//
// A rule names its recipients when it is written; they may be deleted or never have been
// registered. The push API refuses a whole request that names an unknown recipient, so
// here such ids are dropped (WARN, tw_alert_unknown_recipients_total) and the notice goes
// to the rest: one stale id must not silence an alert for everyone else. With nobody
// left the sink answers kInvalidArgument, which the runner treats as permanent. A retry
// of a notice sent that way conflicts with its own idempotency key: that is "sent".
#include "tidewire/alerts/alert_engine.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/push/push_service.hpp"

namespace tidewire::alerts {

class PushAlertSink final : public AlertSink {
 public:
  PushAlertSink(push::PushService& service, MetricsRegistry& metrics) : service_(service), metrics_(metrics) {}
  // Interface: AlertSink
  Status push(const v1::PushRequest& request, const std::string& idempotency_key) override;

 private:
  push::PushService& service_;
  MetricsRegistry& metrics_;
};

}  // namespace tidewire::alerts

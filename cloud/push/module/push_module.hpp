#pragma once
// The push module: recipients and notifications (PushStore), delivery over MQTT with app
// receipts and over webhooks, and the HTTP API under /v1/recipients and /v1/push
// (docs/push.md). Subscribes to every app's receipts and inbox syncs.
//
// Provides: cloud::Notifier (PushNotifier), for modules that tell people things.
// Options: push-default-ttl-s, push-silent-after, push-rate-per-recipient, push-fanout-chunk.
#include "tidewire/cloud/module.hpp"

namespace tidewire::push {

cloud::CloudModulePtr make_push_module();

}  // namespace tidewire::push

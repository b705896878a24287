#pragma once
// How a module tells people something (an alert, a campaign's "wrong poster, fix it"):
// a notice in push.proto's PushRequest shape (recipient ids and/or tags, title, body,
// priority, TTL, collapse key). The push module provides it (push::PushNotifier); other
// modules find it in the ServiceDirectory and never see push's insides.
//
// Contract: the same idempotency key is the same notice, sent once, so a caller retries
// with its key after any error. Recipient ids that are not registered are skipped (and
// counted) so one stale id does not silence a notice for everyone else; with nobody
// left the answer is kInvalidArgument, which callers treat as permanent. kUnavailable and
// kIo are worth a retry.
#include <string>

#include "tidewire/common/expected.hpp"
#include "tidewire/v1/push.pb.h"

namespace tidewire::cloud {

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual Status notify(const v1::PushRequest& request, const std::string& idempotency_key) = 0;
};

}  // namespace tidewire::cloud

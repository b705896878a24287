#pragma once
// Builders for the PushStore tests: recipients, notifications, one SQLite file per test in
// a folder of this process removed when it exits.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/cloud/cloud_test_support.hpp"
#include "tidewire/push/push_store.hpp"

namespace tidewire::push::testing {

// One SQLite file per test in a folder of this process, removed when it exits.
inline std::string fresh_db_path(const std::string& test) {
  return cloud::testing::temp_db_path(test);
}

inline v1::Recipient recipient(const std::string& id, const std::vector<std::string>& tags) {
  v1::Recipient r;
  r.set_recipient_id(id);
  r.set_kind(v1::RECIPIENT_KIND_RIDER);
  for (const auto& t : tags) r.add_tags(t);
  return r;
}

struct NotificationSpec {
  v1::PushPriority priority = v1::PUSH_PRIORITY_NORMAL;
  int64_t created_ms = 1'000;
  std::string collapse_key{};
  int64_t expires_ms = 1'000'000'000;
  std::string key{};                // idempotency key
  std::vector<std::string> tags{};  // a fan-out: not done until its cursor says so
};

inline StoredNotification notification(const std::string& id, const NotificationSpec& spec) {
  StoredNotification n;
  n.id = id;
  n.request.set_title("title of " + id);
  n.request.set_body("body of " + id);
  n.request.set_priority(spec.priority);
  n.request.set_collapse_key(spec.collapse_key);
  for (const auto& t : spec.tags) n.request.add_tags(t);
  n.created_ms = spec.created_ms;
  n.expires_ms = spec.expires_ms;
  n.idempotency_key = spec.key;
  n.fingerprint = n.request.SerializeAsString();
  n.fanout_done = spec.tags.empty();
  return n;
}

// "notification/recipient" of each delivery, in the order given.
inline std::vector<std::string> key_of(const std::vector<Delivery>& deliveries) {
  std::vector<std::string> out;
  for (const auto& d : deliveries) out.push_back(d.notification_id + "/" + d.recipient_id);
  return out;
}

}  // namespace tidewire::push::testing

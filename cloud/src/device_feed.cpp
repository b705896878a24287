#include "tidewire/cloud/device_feed.hpp"

#include "tidewire/protocols/codec.hpp"

namespace tidewire::cloud {
namespace {

std::optional<DeviceItemType> type_of(const v1::Envelope& env) {
  switch (env.body_case()) {
    case v1::Envelope::kEvent: return DeviceItemType::kEvent;
    case v1::Envelope::kStatus: return DeviceItemType::kStatus;
    case v1::Envelope::kPresence: return DeviceItemType::kPresence;
    case v1::Envelope::kResult: return DeviceItemType::kCommandResult;
    case v1::Envelope::BODY_NOT_SET: break;
  }
  return std::nullopt;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The first filter the item matches, or null.
const DeviceItemFilter* match(const std::vector<DeviceItemFilter>& filters, DeviceItemType type,
                              const DeviceItem& item) {
  for (const auto& f : filters) {
    if (f.type != type) continue;
    if (f.kind && *f.kind != item.envelope.kind()) continue;
    if (type == DeviceItemType::kEvent && !starts_with(item.envelope.event().type(), f.prefix)) continue;
    if (type == DeviceItemType::kCommandResult &&
        (item.command_name.empty() || !starts_with(item.command_name, f.prefix)))
      continue;
    return &f;
  }
  return nullptr;
}

}  // namespace

void DeviceFeed::subscribe(DeviceSubscription subscription) {
  Labels labels{{"subscriber", subscription.subscriber}};
  for (const auto& f : subscription.filters)
    wants_results_ = wants_results_ || f.type == DeviceItemType::kCommandResult;
  Subscriber s{
      std::move(subscription),
      &metrics_.counter("tw_cloud_feed_items_total", "Device items handed to a module", labels),
      &metrics_.counter("tw_cloud_feed_refused_total", "Device items a module did not take (queue full)", labels),
      &metrics_.counter("tw_cloud_feed_unsettled_total",
                        "Batches held unacked because a module had not applied their items", labels)};
  subscribers_.push_back(std::move(s));
}

bool DeviceFeed::deliver(
    const v1::EdgeBatch& batch,
    const std::function<std::string(const std::string& device_id, const std::string& command_id)>& command_name) {
  if (subscribers_.empty()) return true;
  std::vector<char> waiting(subscribers_.size(), 0);  // took an ack-holding item this batch
  bool complete = true;
  for (const auto& batch_item : batch.items()) {
    const auto& env = batch_item.envelope();
    auto type = type_of(env);
    // Only what the registry would store: never act on an item it refused.
    if (!type || !codec::validate_envelope(env).ok() || (!batch.site().empty() && env.site() != batch.site())) {
      continue;
    }
    std::string name;
    if (*type == DeviceItemType::kCommandResult && wants_results_) {
      name = command_name(env.device_id(), env.result().command_id());
    }
    int64_t at = batch_item.edge_received_ms() > 0 ? batch_item.edge_received_ms() : env.device_time_ms();
    DeviceItem item{env, at, name};
    for (size_t i = 0; i < subscribers_.size(); ++i) {
      auto& s = subscribers_[i];
      const DeviceItemFilter* f = match(s.subscription.filters, *type, item);
      if (!f) continue;
      s.items->inc();
      bool taken = s.subscription.on_item(item);
      if (!taken) s.refused->inc();
      if (f->holds_ack) {
        waiting[i] = 1;
        complete = complete && taken;
      }
    }
  }
  for (size_t i = 0; i < subscribers_.size(); ++i) {
    if (!waiting[i] || !subscribers_[i].subscription.settle) continue;
    if (!subscribers_[i].subscription.settle()) {
      subscribers_[i].unsettled->inc();
      complete = false;
    }
  }
  return complete;
}

}  // namespace tidewire::cloud

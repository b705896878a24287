#pragma once
// What devices report, handed from ingest to the capability modules that asked for it.
//
// BatchIngest commits a batch, then offers each item that passed validation to the
// DeviceFeed; modules subscribe to items by type (event, status, presence, command
// result), device kind and a name prefix (event type, or the name of the command a
// result answers). The core names no capability: dispatch subscribes to rider statuses
// and "order." events, a poster module would subscribe to poster events, and so on.
//
// Acks. Some items decide things (an order, an answer to an offer): losing one between
// the batch's ack and its application would lose it for good. A filter that holds the
// ack makes the batch wait for the subscriber: every such item must be taken (on_item
// returns true) and the subscriber's settle() must say everything taken is applied
// durably. Otherwise the batch is not acked and the edge re-sends it, so subscribers
// see re-delivered copies and must absorb duplicates. Items of filters that do not hold
// the ack (latest-wins data such as a status) are best effort: a refusal is counted.
//
// Threads: subscribe() before ingest starts; deliver() on the ingest thread only. Handlers
// must not block: post the work to the module's own thread and wait for it in settle().
//
// Metrics: tw_cloud_feed_items_total{subscriber}, tw_cloud_feed_refused_total{subscriber},
// tw_cloud_feed_unsettled_total{subscriber}.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tidewire/common/metrics.hpp"
#include "tidewire/v1/device.pb.h"
#include "tidewire/v1/edge.pb.h"

namespace tidewire::cloud {

enum class DeviceItemType { kEvent, kStatus, kPresence, kCommandResult };

struct DeviceItem {
  const v1::Envelope& envelope;
  int64_t received_ms;            // the edge's receive time (the device's time if the edge had none)
  std::string_view command_name;  // results: the name of the command answered; "" otherwise
};

struct DeviceItemFilter {
  DeviceItemType type = DeviceItemType::kEvent;
  std::optional<v1::DeviceKind> kind;  // empty = every kind
  std::string prefix;                  // events: type starts with it; results: command name does
  bool holds_ack = false;              // see the file comment
};

struct DeviceSubscription {
  std::string subscriber;                 // module name: metrics label and logs
  std::vector<DeviceItemFilter> filters;  // an item matching several is handed on once
  // False: the item was not taken (a full queue).
  std::function<bool(const DeviceItem&)> on_item;
  // Once per batch in which the subscriber took an ack-holding item: true once everything
  // it took is applied. Empty = always true.
  std::function<bool()> settle;
};

class DeviceFeed {
 public:
  explicit DeviceFeed(MetricsRegistry& metrics) : metrics_(metrics) {}

  void subscribe(DeviceSubscription subscription);
  // True when some subscriber wants results (ingest looks up command names only then).
  bool wants_results() const { return wants_results_; }

  // Hands the batch's valid items to the subscribers. `command_name` looks up the name of
  // the command a result answers (empty when unknown or another device's). Returns false
  // when an ack-holding subscriber refused an item or did not settle: do not ack.
  bool deliver(
      const v1::EdgeBatch& batch,
      const std::function<std::string(const std::string& device_id, const std::string& command_id)>& command_name);

 private:
  struct Subscriber {
    DeviceSubscription subscription;
    Counter* items;
    Counter* refused;
    Counter* unsettled;
  };
  MetricsRegistry& metrics_;
  std::vector<Subscriber> subscribers_;
  bool wants_results_ = false;
};

}  // namespace tidewire::cloud

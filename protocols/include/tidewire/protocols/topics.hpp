#pragma once
// The topic scheme, as code. Nothing else in Tidewire writes a topic string by hand.
//
//   site broker   tw/v1/site/{site}/{kind}/{device}/{channel}
//                   up:   status | event | presence | result
//                   down: cmd | ack
//   cloud broker  tw/v1/edge/{edge}/{channel}
//                   up:   batch
//                   down: ack | cmd
//                 tw/v1/dispatch/{audience}/{id}/order      (cloud -> apps, QoS1)
//                   audience: customer | merchant | rider; payload v1::OrderUpdate
//                 tw/v1/push/{recipient}/{channel}             (docs/push.md)
//                   down: inbox (v1::PushDelivery)   up: receipt (v1::PushReceipt), sync (v1::InboxSync)
//
// Ids that travel in topics (site, device, edge, recipient, the dispatch audiences' ids)
// are 1..64 characters of [A-Za-z0-9_-] (valid_id): no MQTT wildcard or level separator,
// and no '.', because the clustered brokers map it: NATS (MQTT listener) turns '/' into
// '.' and refuses a topic that has one (dropping the connection), RabbitMQ's MQTT plugin
// turns '.' into a topic level, so `tw/v1/edge/+/batch` never matches edge `a.b`.
// Names that never travel in a topic (command names such as `dispatch.offer`, tags, order
// and alert rule ids) keep '.' (valid_name). Kinds are poster | rider | encoder | merchant; any other
// kind level is refused (parse_device_topic), so the edge drops it as bad_topic.
#include <string>
#include <string_view>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/v1/device.pb.h"

namespace tidewire::topics {

enum class Channel { kStatus, kEvent, kPresence, kResult, kCommand, kAck };
enum class EdgeChannel { kBatch, kAck, kCommand };

struct DeviceAddress {
  std::string site;
  v1::DeviceKind kind = v1::DEVICE_KIND_UNSPECIFIED;
  std::string device_id;
};

struct DeviceTopic {
  DeviceAddress address;
  Channel channel = Channel::kStatus;
};

struct EdgeTopic {
  std::string edge_id;
  EdgeChannel channel = EdgeChannel::kBatch;
};

inline constexpr size_t kMaxIdLength = 64;
// The rule valid_id() checks, for error messages at every place an id is created.
inline constexpr const char* kIdRule =
    "1-64 characters of [A-Za-z0-9_-] (no '.': NATS and RabbitMQ read it as a topic separator)";
// An id that may appear in a topic, portable to every broker the project supports.
bool valid_id(std::string_view id);
// A name that never appears in a topic: 1..64 of [A-Za-z0-9_.-], not "." or "..".
bool valid_name(std::string_view name);

const char* kind_name(v1::DeviceKind kind);
Expected<v1::DeviceKind> parse_kind(std::string_view name);
const char* channel_name(Channel channel);
// True for channels a device publishes (and the edge subscribes to).
bool is_uplink(Channel channel);

Expected<std::string> device_topic(const DeviceAddress& address, Channel channel);
Expected<DeviceTopic> parse_device_topic(std::string_view topic);
// What an edge subscribes to on its site broker: one filter per uplink channel.
std::vector<std::string> site_uplink_filters(const std::string& site);

Expected<std::string> edge_topic(const std::string& edge_id, EdgeChannel channel);
Expected<EdgeTopic> parse_edge_topic(std::string_view topic);
// What the cloud subscribes to: every edge's batches.
std::string cloud_batch_filter();

// Order updates for people (until the push service carries them).
enum class Audience { kCustomer, kMerchant, kRider };
Expected<std::string> order_update_topic(Audience audience, const std::string& id);

// Push notifications between the cloud and recipient apps.
enum class PushChannel { kInbox, kReceipt, kSync };
struct PushTopic {
  std::string recipient_id;
  PushChannel channel = PushChannel::kInbox;
};
Expected<std::string> push_topic(const std::string& recipient_id, PushChannel channel);
Expected<PushTopic> parse_push_topic(std::string_view topic);
// What the cloud subscribes to: every app's receipts and syncs.
std::vector<std::string> push_uplink_filters();
// Every recipient's inbox: for tools that stand in for many apps (tidewire-sim's
// InboxGateway), behind a shared subscription ("$share/<group>/" + this).
std::string push_inbox_filter();

// MQTT 3.1.1 filter matching (section 4.7): '+' is one level, a trailing '#' any number of
// levels including none; topics starting with '$' match no filter starting with a wildcard.
bool filter_matches(std::string_view filter, std::string_view topic);

}  // namespace tidewire::topics

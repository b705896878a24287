#include "tidewire/protocols/topics.hpp"

#include <array>

namespace tidewire::topics {
namespace {

constexpr std::string_view kRoot = "tw/v1";

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t slash = s.find('/', start);
    parts.push_back(s.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

struct ChannelName {
  Channel channel;
  std::string_view name;
};
constexpr std::array<ChannelName, 6> kChannels{{{Channel::kStatus, "status"},
                                                {Channel::kEvent, "event"},
                                                {Channel::kPresence, "presence"},
                                                {Channel::kResult, "result"},
                                                {Channel::kCommand, "cmd"},
                                                {Channel::kAck, "ack"}}};

Error bad_topic(std::string_view topic, const std::string& why) {
  return make_error(ErrorCode::kInvalidArgument, "topic '" + std::string(topic.substr(0, 200)) + "': " + why);
}

}  // namespace

namespace {
bool valid_chars(std::string_view id, bool allow_dot) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              (allow_dot && c == '.');
    if (!ok) return false;
  }
  return true;
}
}  // namespace

bool valid_id(std::string_view id) {
  return valid_chars(id, false);
}

bool valid_name(std::string_view name) {
  return name != "." && name != ".." && valid_chars(name, true);
}

const char* kind_name(v1::DeviceKind kind) {
  switch (kind) {
    case v1::DEVICE_KIND_POSTER: return "poster";
    case v1::DEVICE_KIND_RIDER: return "rider";
    case v1::DEVICE_KIND_ENCODER: return "encoder";
    case v1::DEVICE_KIND_MERCHANT: return "merchant";
    default: return "unspecified";
  }
}

Expected<v1::DeviceKind> parse_kind(std::string_view name) {
  if (name == "poster") return v1::DEVICE_KIND_POSTER;
  if (name == "rider") return v1::DEVICE_KIND_RIDER;
  if (name == "encoder") return v1::DEVICE_KIND_ENCODER;
  if (name == "merchant") return v1::DEVICE_KIND_MERCHANT;
  return make_error(ErrorCode::kInvalidArgument, "unknown device kind '" + std::string(name.substr(0, 64)) +
                                                     "' (expected poster, rider, encoder or merchant)");
}

const char* channel_name(Channel channel) {
  for (const auto& c : kChannels)
    if (c.channel == channel) return c.name.data();
  return "?";
}

bool is_uplink(Channel channel) {
  return channel == Channel::kStatus || channel == Channel::kEvent || channel == Channel::kPresence ||
         channel == Channel::kResult;
}

Expected<std::string> device_topic(const DeviceAddress& a, Channel channel) {
  if (!valid_id(a.site)) return make_error(ErrorCode::kInvalidArgument, "invalid site id '" + a.site + "'");
  if (!valid_id(a.device_id)) return make_error(ErrorCode::kInvalidArgument, "invalid device id '" + a.device_id + "'");
  if (a.kind == v1::DEVICE_KIND_UNSPECIFIED) return make_error(ErrorCode::kInvalidArgument, "device kind not set");
  std::string t(kRoot);
  t += "/site/" + a.site + "/" + kind_name(a.kind) + "/" + a.device_id + "/" + channel_name(channel);
  return t;
}

Expected<DeviceTopic> parse_device_topic(std::string_view topic) {
  auto parts = split(topic);
  if (parts.size() != 7 || parts[0] != "tw" || parts[1] != "v1" || parts[2] != "site") {
    return bad_topic(topic, "expected tw/v1/site/{site}/{kind}/{device}/{channel}");
  }
  DeviceTopic out;
  if (!valid_id(parts[3])) return bad_topic(topic, "invalid site id");
  out.address.site = parts[3];
  auto kind = parse_kind(parts[4]);
  if (!kind) return bad_topic(topic, kind.error().message);
  out.address.kind = *kind;
  if (!valid_id(parts[5])) return bad_topic(topic, "invalid device id");
  out.address.device_id = parts[5];
  for (const auto& c : kChannels) {
    if (c.name == parts[6]) {
      out.channel = c.channel;
      return out;
    }
  }
  return bad_topic(topic, "unknown channel");
}

std::vector<std::string> site_uplink_filters(const std::string& site) {
  std::vector<std::string> out;
  for (const auto& c : kChannels) {
    if (is_uplink(c.channel)) out.push_back(std::string(kRoot) + "/site/" + site + "/+/+/" + std::string(c.name));
  }
  return out;
}

Expected<std::string> edge_topic(const std::string& edge_id, EdgeChannel channel) {
  if (!valid_id(edge_id)) return make_error(ErrorCode::kInvalidArgument, "invalid edge id '" + edge_id + "'");
  const char* name = channel == EdgeChannel::kBatch ? "batch" : channel == EdgeChannel::kAck ? "ack" : "cmd";
  return std::string(kRoot) + "/edge/" + edge_id + "/" + name;
}

Expected<EdgeTopic> parse_edge_topic(std::string_view topic) {
  auto parts = split(topic);
  if (parts.size() != 5 || parts[0] != "tw" || parts[1] != "v1" || parts[2] != "edge") {
    return bad_topic(topic, "expected tw/v1/edge/{edge}/{channel}");
  }
  if (!valid_id(parts[3])) return bad_topic(topic, "invalid edge id");
  EdgeTopic out{std::string(parts[3]), EdgeChannel::kBatch};
  if (parts[4] == "batch")
    out.channel = EdgeChannel::kBatch;
  else if (parts[4] == "ack")
    out.channel = EdgeChannel::kAck;
  else if (parts[4] == "cmd")
    out.channel = EdgeChannel::kCommand;
  else
    return bad_topic(topic, "unknown channel");
  return out;
}

std::string cloud_batch_filter() {
  return std::string(kRoot) + "/edge/+/batch";
}

Expected<std::string> order_update_topic(Audience audience, const std::string& id) {
  if (!valid_id(id)) return make_error(ErrorCode::kInvalidArgument, "invalid recipient id '" + id + "'");
  const char* who = audience == Audience::kCustomer   ? "customer"
                    : audience == Audience::kMerchant ? "merchant"
                                                      : "rider";
  return std::string(kRoot) + "/dispatch/" + who + "/" + id + "/order";
}

namespace {
const char* push_channel_name(PushChannel c) {
  switch (c) {
    case PushChannel::kInbox: return "inbox";
    case PushChannel::kReceipt: return "receipt";
    case PushChannel::kSync: return "sync";
  }
  return "inbox";
}
}  // namespace

Expected<std::string> push_topic(const std::string& recipient_id, PushChannel channel) {
  if (!valid_id(recipient_id))
    return make_error(ErrorCode::kInvalidArgument, "invalid recipient id '" + recipient_id + "'");
  return std::string(kRoot) + "/push/" + recipient_id + "/" + push_channel_name(channel);
}

Expected<PushTopic> parse_push_topic(std::string_view topic) {
  const std::string prefix = std::string(kRoot) + "/push/";
  if (topic.substr(0, prefix.size()) != prefix) return make_error(ErrorCode::kMalformed, "not a push topic");
  std::string_view rest = topic.substr(prefix.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return make_error(ErrorCode::kMalformed, "push topic without a channel");
  PushTopic t;
  t.recipient_id = std::string(rest.substr(0, slash));
  if (!valid_id(t.recipient_id)) return make_error(ErrorCode::kMalformed, "invalid recipient id in push topic");
  std::string_view channel = rest.substr(slash + 1);
  if (channel == "inbox") {
    t.channel = PushChannel::kInbox;
  } else if (channel == "receipt") {
    t.channel = PushChannel::kReceipt;
  } else if (channel == "sync") {
    t.channel = PushChannel::kSync;
  } else {
    return make_error(ErrorCode::kMalformed, "unknown push channel '" + std::string(channel) + "'");
  }
  return t;
}

std::vector<std::string> push_uplink_filters() {
  return {std::string(kRoot) + "/push/+/receipt", std::string(kRoot) + "/push/+/sync"};
}

std::string push_inbox_filter() {
  return std::string(kRoot) + "/push/+/inbox";
}

bool filter_matches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic[0] == '$' && !filter.empty() && (filter[0] == '+' || filter[0] == '#')) return false;
  while (true) {
    auto f_end = filter.find('/');
    std::string_view f_level = filter.substr(0, f_end);
    if (f_level == "#") return f_end == std::string_view::npos;
    auto t_end = topic.find('/');
    std::string_view t_level = topic.substr(0, t_end);
    if (f_level != "+" && f_level != t_level) return false;
    if (f_end == std::string_view::npos || t_end == std::string_view::npos) {
      // Both end here, or the filter goes on with only "/#" (matching the parent level).
      if (f_end == std::string_view::npos && t_end == std::string_view::npos) return true;
      return t_end == std::string_view::npos && filter.substr(f_end + 1) == "#";
    }
    filter.remove_prefix(f_end + 1);
    topic.remove_prefix(t_end + 1);
  }
}

}  // namespace tidewire::topics

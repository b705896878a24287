#include "webhook/webhook_target.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "webhook/webhook_url.hpp"

namespace tidewire::push {

namespace {

struct ClassRange {
  const char* cidr;
  const char* name;
};

// Order matters only for readability: the ranges do not overlap, except that the
// embedded-IPv4 forms are unwrapped before this table is consulted.
constexpr ClassRange kInternal[] = {
    {"0.0.0.0/8", "unspecified"},     {"127.0.0.0/8", "loopback"},
    {"10.0.0.0/8", "private"},        {"172.16.0.0/12", "private"},
    {"192.168.0.0/16", "private"},    {"100.64.0.0/10", "cgnat"},
    {"169.254.0.0/16", "link_local"}, {"224.0.0.0/4", "multicast"},
    {"240.0.0.0/4", "reserved"},      {"::/128", "unspecified"},
    {"::1/128", "loopback"},          {"fe80::/10", "link_local"},
    {"fc00::/7", "private"},          {"fec0::/10", "private"},
    {"ff00::/8", "multicast"},        {"::/96", "reserved"},
};

const std::vector<std::pair<IpRange, const char*>>& internal_table() {
  static const auto table = [] {
    std::vector<std::pair<IpRange, const char*>> out;
    for (const auto& c : kInternal) out.emplace_back(*IpRange::parse(c.cidr), c.name);
    return out;
  }();
  return table;
}

// NAT64's well-known prefix carries an IPv4 address in its last 32 bits.
IpAddress unwrap_nat64(const IpAddress& a) {
  static const IpRange nat64 = *IpRange::parse("64:ff9b::/96");
  if (!nat64.contains(a)) return a;
  uint32_t v4 = (uint32_t{a.bytes[12]} << 24) | (uint32_t{a.bytes[13]} << 16) | (uint32_t{a.bytes[14]} << 8) |
                uint32_t{a.bytes[15]};
  return IpAddress::v4(v4);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string how_to_allow() {
  return "webhooks may not target loopback, link-local, private, carrier-grade NAT, multicast or unspecified "
         "addresses unless the operator lists them in push-webhook-allow (CIDR ranges)";
}

}  // namespace

IpAddress IpAddress::v4(uint32_t host_order) {
  IpAddress a;
  a.bytes[10] = 0xff;
  a.bytes[11] = 0xff;
  a.bytes[12] = static_cast<uint8_t>(host_order >> 24);
  a.bytes[13] = static_cast<uint8_t>(host_order >> 16);
  a.bytes[14] = static_cast<uint8_t>(host_order >> 8);
  a.bytes[15] = static_cast<uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::v6(const std::array<uint8_t, 16>& bytes) {
  IpAddress a;
  a.bytes = bytes;
  return a;
}

bool IpAddress::is_v4() const {
  for (int i = 0; i < 10; ++i)
    if (bytes[static_cast<size_t>(i)] != 0) return false;
  return bytes[10] == 0xff && bytes[11] == 0xff;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text);
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return IpAddress::v4(ntohl(v4.s_addr));
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::array<uint8_t, 16> b{};
    std::copy(std::begin(v6.s6_addr), std::end(v6.s6_addr), b.begin());
    return IpAddress::v6(b);
  }
  return std::nullopt;
}

std::string IpAddress::text() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    in_addr v4{};
    std::copy(bytes.begin() + 12, bytes.end(), reinterpret_cast<uint8_t*>(&v4.s_addr));
    inet_ntop(AF_INET, &v4, buf, sizeof buf);
  } else {
    in6_addr v6{};
    std::copy(bytes.begin(), bytes.end(), v6.s6_addr);
    inet_ntop(AF_INET6, &v6, buf, sizeof buf);
  }
  return buf;
}

Expected<IpRange> IpRange::parse(std::string_view cidr) {
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument, "'" + std::string(cidr) + "' is not an address range: " + why +
                                                       " (expected a CIDR such as 10.1.2.0/24 or fd00::/8)");
  };
  size_t slash = cidr.find('/');
  auto base = IpAddress::parse(cidr.substr(0, slash));
  if (!base) return bad("no IPv4 or IPv6 address before the '/'");
  IpRange r{*base, 128};
  if (slash != std::string_view::npos) {
    std::string_view bits = cidr.substr(slash + 1);
    if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string_view::npos) {
      return bad("the prefix length is not a number");
    }
    int n = std::stoi(std::string(bits));
    int max = base->is_v4() ? 32 : 128;
    if (n > max) return bad("the prefix length is over " + std::to_string(max));
    r.prefix = base->is_v4() ? 96 + n : n;
  }
  // Host bits are cleared so "10.1.2.3/24" means 10.1.2.0/24, as every router reads it.
  for (int bit = r.prefix; bit < 128; ++bit) {
    r.base.bytes[static_cast<size_t>(bit / 8)] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  return r;
}

bool IpRange::contains(const IpAddress& a) const {
  for (int bit = 0; bit < prefix; ++bit) {
    auto i = static_cast<size_t>(bit / 8);
    auto mask = static_cast<uint8_t>(0x80u >> (bit % 8));
    if ((a.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
  }
  return true;
}

std::string IpRange::text() const {
  return base.text() + "/" + std::to_string(base.is_v4() && prefix >= 96 ? prefix - 96 : prefix);
}

const char* internal_address_class(const IpAddress& address) {
  IpAddress a = unwrap_nat64(address);
  for (const auto& [range, name] : internal_table()) {
    if (range.contains(a)) return name;
  }
  return nullptr;
}

Expected<WebhookTargetPolicy> WebhookTargetPolicy::parse(std::string_view allow_list) {
  WebhookTargetPolicy policy;
  size_t start = 0;
  while (start <= allow_list.size()) {
    size_t comma = allow_list.find(',', start);
    std::string_view item = allow_list.substr(start, comma == std::string_view::npos ? comma : comma - start);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
    if (!item.empty()) {
      auto range = IpRange::parse(item);
      if (!range) return range.error();
      policy.allowed_.push_back(*range);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return policy;
}

std::optional<std::string> WebhookTargetPolicy::refusal(const IpAddress& address) const {
  const char* cls = internal_address_class(address);
  if (!cls) return std::nullopt;
  IpAddress unwrapped = unwrap_nat64(address);
  for (const auto& r : allowed_) {
    if (r.contains(address) || r.contains(unwrapped)) return std::nullopt;
  }
  return std::string(cls);
}

std::optional<WebhookTargetPolicy::Refusal> WebhookTargetPolicy::check_registered(const WebhookUrl& url) const {
  std::optional<IpAddress> literal = IpAddress::parse(url.host);
  if (!literal && !url.ipv6) {
    // getaddrinfo reads 127.1, 0x7f.1 and 2130706433 as IPv4 too: judge them the same way.
    in_addr legacy{};
    if (inet_aton(url.host.c_str(), &legacy) == 1) literal = IpAddress::v4(ntohl(legacy.s_addr));
  }
  if (literal) {
    if (auto why = refusal(*literal)) {
      return Refusal{*why, "webhook URL host " + url.host + " is a " + *why + " address (" + literal->text() +
                               "): " + how_to_allow()};
    }
    return std::nullopt;
  }
  std::string host = lower(url.host);
  if (!host.empty() && host.back() == '.') host.pop_back();  // "localhost." is the same name
  bool loopback_name = host == "localhost" || ends_with(host, ".localhost") || host == "localhost.localdomain" ||
                       host == "ip6-localhost" || host == "ip6-loopback";
  if (loopback_name && refusal(*IpAddress::parse("127.0.0.1")) && refusal(*IpAddress::parse("::1"))) {
    return Refusal{"loopback", "webhook URL host " + url.host + " names this machine (loopback): " + how_to_allow()};
  }
  return std::nullopt;
}

std::optional<WebhookTargetPolicy::Refusal> WebhookTargetPolicy::check_resolved(
    const std::string& authority, const std::vector<IpAddress>& addresses) const {
  for (const auto& a : addresses) {
    if (auto why = refusal(a)) {
      return Refusal{*why, "webhook target " + authority + " resolves to " + a.text() + ", a " + *why +
                               " address: refused, not connected; " + how_to_allow()};
    }
  }
  return std::nullopt;
}

}  // namespace tidewire::push

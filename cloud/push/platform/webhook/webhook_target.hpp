#pragma once
// Where a webhook may go (server-side request forgery). A recipient's URL comes from an
// API caller, and the cloud POSTs to it from inside the data centre: a URL naming
// 127.0.0.1, 169.254.169.254 (the cloud metadata service) or a private address would make
// the cloud a proxy into its own network. So every address the cloud is about to connect
// to is classified, and internal ones are refused unless the operator allows them
// (push-webhook-allow, a CIDR list, empty by default):
//
//   loopback     127.0.0.0/8, ::1
//   link_local   169.254.0.0/16 (metadata), fe80::/10
//   private      10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7, fec0::/10 (site-local)
//   cgnat        100.64.0.0/10 (carrier-grade NAT, shared address space)
//   unspecified  0.0.0.0/8, ::
//   multicast    224.0.0.0/4, ff00::/8
//   reserved     240.0.0.0/4 (with 255.255.255.255), ::/96 (IPv4-compatible)
//
// IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::/96) addresses are judged by the IPv4
// address inside them. The check runs twice: when a URL is registered (a literal address,
// or a name that is loopback by definition such as `localhost`), and when it is called,
// against every address the name resolved to, right before connecting to exactly those
// addresses (no second lookup, so DNS rebinding cannot swap the address in between).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tidewire/common/expected.hpp"

namespace tidewire::push {

struct WebhookUrl;

// An IPv4 or IPv6 address, IPv4 held in its mapped form (::ffff:a.b.c.d), so one range
// check covers both families.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};

  static std::optional<IpAddress> parse(std::string_view text);  // dotted quad or RFC 4291 text
  static IpAddress v4(uint32_t host_order);
  static IpAddress v6(const std::array<uint8_t, 16>& bytes);
  bool is_v4() const;  // an IPv4 address (mapped)
  std::string text() const;
};

struct IpRange {
  IpAddress base;
  int prefix = 128;  // over the 128-bit form: an IPv4 /n is /96+n

  // "10.1.2.0/24", "fd00::/8", or a single address.
  static Expected<IpRange> parse(std::string_view cidr);
  bool contains(const IpAddress& address) const;
  std::string text() const;
};

// The class of an address a webhook must not reach without an allow-list entry, or
// nullptr for a public address. One of the names in the table above.
const char* internal_address_class(const IpAddress& address);

class WebhookTargetPolicy {
 public:
  // Comma-separated CIDR ranges the operator allows ("127.0.0.0/8,10.1.2.0/24"); "" allows
  // none. kInvalidArgument names the entry that does not parse.
  static Expected<WebhookTargetPolicy> parse(std::string_view allow_list);

  // nullopt when the cloud may connect to `address`, else the class that refuses it.
  std::optional<std::string> refusal(const IpAddress& address) const;

  struct Refusal {
    std::string reason;   // the class: loopback, link_local, ... (a metric label)
    std::string message;  // for people: which address, why, and how to allow it
  };
  // Registration: refuses a literal internal address (also the legacy forms inet_aton
  // takes, like 127.1 or 2130706433) and names that are loopback by definition
  // (localhost, *.localhost, localhost.localdomain, ip6-localhost, ip6-loopback).
  std::optional<Refusal> check_registered(const WebhookUrl& url) const;
  // Call time: every resolved address must pass; the first that does not is reported.
  std::optional<Refusal> check_resolved(const std::string& authority, const std::vector<IpAddress>& addresses) const;

  const std::vector<IpRange>& allowed() const { return allowed_; }

 private:
  std::vector<IpRange> allowed_;
};

}  // namespace tidewire::push

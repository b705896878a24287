#pragma once
// The webhook URLs recipients register (PUT /v1/recipients/{id}): plain http:// with a
// host, an optional port and a path. Parsing is strict because the URL comes from an API
// caller and ends up in a request line and a Host header.
#include <string>

#include "tidewire/common/expected.hpp"

namespace tidewire::push {

struct WebhookUrl {
  std::string host;  // a DNS name or an IPv4 literal, or an IPv6 literal without the brackets
  int port = 80;
  std::string target;  // path plus query string, never empty ("/" at least); the fragment is dropped
  bool ipv6 = false;

  std::string host_header() const;  // "example.com:8080", "[::1]:9000"
  // host:port, without the path or query, which may carry the recipient's secret token:
  // this is what error details and per-host queues name.
  std::string authority() const { return host_header(); }
};

// kInvalidArgument with a message that says what is wrong and what is accepted.
Expected<WebhookUrl> parse_webhook_url(const std::string& url);

}  // namespace tidewire::push

#include "webhook/webhook_url.hpp"

#include <algorithm>
#include <cctype>

namespace tidewire::push {

namespace {

// Browsers and proxies commonly cap URLs near this; longer ones are mistakes or abuse.
constexpr size_t kMaxUrlBytes = 2048;
constexpr size_t kMaxHostBytes = 253;

Error bad(const std::string& why) {
  return make_error(ErrorCode::kInvalidArgument, "webhook URL " + why);
}

bool starts_with_nocase(const std::string& text, const std::string& prefix) {
  if (text.size() < prefix.size()) return false;
  return std::equal(prefix.begin(), prefix.end(), text.begin(),
                    [](char want, char got) { return std::tolower(static_cast<unsigned char>(got)) == want; });
}

bool is_dns_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}

}  // namespace

std::string WebhookUrl::host_header() const {
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Expected<WebhookUrl> parse_webhook_url(const std::string& url) {
  if (url.empty()) return bad("is empty (expected http://host[:port]/path)");
  if (url.size() > kMaxUrlBytes) {
    return bad("is " + std::to_string(url.size()) + " bytes, over the limit of " + std::to_string(kMaxUrlBytes));
  }
  // Spaces and control characters would end up in the request line.
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return bad("contains a space, control or non-ASCII character (percent-encode it)");
  }
  if (starts_with_nocase(url, "https://")) {
    return bad(
        "uses https://, which the webhook channel does not support yet: register an http:// URL "
        "(for example a TLS-terminating proxy you run next to the receiver)");
  }
  const std::string scheme = "http://";
  if (!starts_with_nocase(url, scheme)) return bad("must start with http:// (got '" + url.substr(0, 16) + "...')");

  std::string rest = url.substr(scheme.size());
  size_t authority_end = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, authority_end);
  std::string target = authority_end == std::string::npos ? "" : rest.substr(authority_end);
  if (authority.find('@') != std::string::npos) {
    return bad("contains user credentials (user@host), which are not supported: put a token in the path or query");
  }

  WebhookUrl out;
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return bad("has an IPv6 address without its closing ']'");
    out.host = authority.substr(1, close - 1);
    out.ipv6 = true;
    if (out.host.empty() || out.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
      return bad("has a malformed IPv6 address '[" + out.host + "]'");
    }
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("has text after the IPv6 address: '" + after + "'");
      port_text = after.substr(1);
      if (port_text.empty()) return bad("has an empty port after ':'");
    }
  } else {
    size_t colon = authority.find(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return bad("has an empty port after ':'");
    }
    if (out.host.empty()) return bad("has no host (expected http://host[:port]/path)");
    if (out.host.size() > kMaxHostBytes) return bad("has a host name longer than 253 bytes");
    if (!std::all_of(out.host.begin(), out.host.end(), is_dns_char) || out.host.front() == '.' ||
        out.host.front() == '-') {
      return bad("has an invalid host '" + out.host + "' (letters, digits, '-' and '.' only)");
    }
  }
  if (!port_text.empty()) {
    if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos) {
      return bad("has a port that is not a number 1..65535: '" + port_text + "'");
    }
    out.port = std::stoi(port_text);
    if (out.port < 1 || out.port > 65535) return bad("has port " + port_text + ", outside 1..65535");
  }

  // The fragment is a client-side thing and is never sent in HTTP.
  target = target.substr(0, target.find('#'));
  if (target.empty() || target.front() == '?') target = "/" + target;
  out.target = target;
  return out;
}

}  // namespace tidewire::push

#include "page_token.hpp"

#include <array>
#include <cstdint>
#include <string_view>

#include "tidewire/protocols/topics.hpp"

namespace tidewire::cloud {
namespace {

constexpr std::string_view kTokenPrefix = "d1:";
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(std::string_view in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16) |
                 (static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8) |
                 static_cast<uint32_t>(static_cast<unsigned char>(in[i + 2]));
    for (int s = 18; s >= 0; s -= 6) out.push_back(kBase64Url[(v >> s) & 0x3F]);
  }
  size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (rest == 2) v |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out.push_back(kBase64Url[(v >> 18) & 0x3F]);
    out.push_back(kBase64Url[(v >> 12) & 0x3F]);
    if (rest == 2) out.push_back(kBase64Url[(v >> 6) & 0x3F]);
  }
  return out;
}

bool unbase64url(std::string_view in, std::string& out) {
  std::array<int, 256> value{};
  value.fill(-1);
  for (int k = 0; k < 64; ++k) value[static_cast<unsigned char>(kBase64Url[k])] = k;
  if (in.size() % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = value[static_cast<unsigned char>(c)];
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

}  // namespace

std::string page_token(const std::string& last_device_id) {
  return base64url(std::string(kTokenPrefix) + last_device_id);
}

Expected<std::string> parse_page_token(const std::string& token) {
  std::string raw;
  if (!unbase64url(token, raw) || raw.rfind(kTokenPrefix, 0) != 0 ||
      !topics::valid_name(std::string_view(raw).substr(kTokenPrefix.size()))) {
    return make_error(ErrorCode::kInvalidArgument,
                      "page_token is not one this server issued; pass next_page_token from the previous page, or "
                      "omit it to start from the first page",
                      "invalid_page_token");
  }
  return raw.substr(kTokenPrefix.size());
}

}  // namespace tidewire::cloud

#include "json_body.hpp"

#include <google/protobuf/util/json_util.h>

#include <array>

#include "tidewire/protocols/topics.hpp"
#include "tidewire/v1/fleet.pb.h"

namespace tidewire::cloud::json {
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

http::Response message(int status, const google::protobuf::Message& body) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  auto st = google::protobuf::util::MessageToJsonString(body, &out, options);
  if (!st.ok()) return error(500, "internal", "could not render " + body.GetTypeName() + ": " + st.ToString());
  return http::Response::json(status, std::move(out));
}

http::Response error(int status, const std::string& code, const std::string& text) {
  v1::ErrorBody body;
  body.set_status(status);
  body.set_error(code);
  body.set_message(text);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(body, &out, options).ok()) {
    return http::error_response(status, code, text);  // same shape, hand-written
  }
  return http::Response::json(status, std::move(out));
}

http::Response error(const Error& e) {
  switch (e.code) {
    case ErrorCode::kNotFound: return error(404, "not_found", e.message);
    case ErrorCode::kInvalidArgument: return error(400, "invalid_argument", e.message);
    case ErrorCode::kMalformed: return error(400, "bad_request", e.message);
    case ErrorCode::kConflict: return error(409, "conflict", e.message);
    case ErrorCode::kTooLarge: return error(413, "payload_too_large", e.message);
    case ErrorCode::kUnavailable: return error(503, "unavailable", e.message);
    case ErrorCode::kTimeout: return error(504, "timeout", e.message);
    case ErrorCode::kIo:
    case ErrorCode::kInternal: break;
  }
  return error(500, "internal", e.message);
}

Status parse(const std::string& body, google::protobuf::Message& out) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto st = google::protobuf::util::JsonStringToMessage(body, &out, options);
  if (!st.ok()) {
    // The parser appends a caret diagram on later lines; the first line says it all.
    std::string why(st.message());
    why = why.substr(0, why.find('\n'));
    return make_error(ErrorCode::kMalformed, "body is not a valid " + out.GetTypeName() + " JSON object: " + why);
  }
  return {};
}

std::string page_token(const std::string& last_device_id) {
  return base64url(std::string(kTokenPrefix) + last_device_id);
}

Expected<std::string> parse_page_token(const std::string& token) {
  std::string raw;
  if (!unbase64url(token, raw) || raw.rfind(kTokenPrefix, 0) != 0 ||
      !topics::valid_id(std::string_view(raw).substr(kTokenPrefix.size()))) {
    return make_error(ErrorCode::kInvalidArgument,
                      "page_token is not one this server issued; pass next_page_token from the previous page, or "
                      "omit it to start from the first page");
  }
  return raw.substr(kTokenPrefix.size());
}

}  // namespace tidewire::cloud::json

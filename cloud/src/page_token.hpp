#pragma once
// Opaque paging tokens of GET /v1/devices (base64url of a versioned cursor).
#include <string>

#include "tidewire/common/expected.hpp"

namespace tidewire::cloud {

std::string page_token(const std::string& last_device_id);
// The device id after which the next page starts; reason invalid_page_token otherwise.
Expected<std::string> parse_page_token(const std::string& token);

}  // namespace tidewire::cloud

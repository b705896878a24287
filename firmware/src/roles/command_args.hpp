#pragma once
// Command arguments, read strictly: a bad value is a FAILED answer, never a guess.
#include <cstdint>
#include <optional>
#include <string>

#include "tidewire/v1/device.pb.h"

namespace tidewire::firmware::roles {

std::optional<std::string> arg(const v1::Command& command, const std::string& key);
// true|1|on or false|0|off.
std::optional<bool> bool_arg(const v1::Command& command, const std::string& key);
// A decimal integer within [lo, hi].
std::optional<int64_t> int_arg(const v1::Command& command, const std::string& key, int64_t lo, int64_t hi);

}  // namespace tidewire::firmware::roles

#include "command_args.hpp"

#include <charconv>

namespace tidewire::firmware::roles {

std::optional<std::string> arg(const v1::Command& command, const std::string& key) {
  auto it = command.args().find(key);
  if (it == command.args().end()) return std::nullopt;
  return it->second;
}

std::optional<bool> bool_arg(const v1::Command& command, const std::string& key) {
  auto v = arg(command, key);
  if (!v) return std::nullopt;
  if (*v == "true" || *v == "1" || *v == "on") return true;
  if (*v == "false" || *v == "0" || *v == "off") return false;
  return std::nullopt;
}

std::optional<int64_t> int_arg(const v1::Command& command, const std::string& key, int64_t lo, int64_t hi) {
  auto v = arg(command, key);
  if (!v) return std::nullopt;
  int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || ptr != v->data() + v->size() || out < lo || out > hi) return std::nullopt;
  return out;
}

}  // namespace tidewire::firmware::roles

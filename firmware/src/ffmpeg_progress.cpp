#include "tidewire/firmware/ffmpeg_progress.hpp"

#include <charconv>
#include <cmath>
#include <string>

namespace tidewire::firmware::ffmpeg {
namespace {

constexpr size_t kMaxLine = 256;

template <typename T>
bool to_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// "2000.5kbits/s" -> 2000.5; "N/A" -> nullopt.
Expected<std::optional<double>> parse_bitrate(std::string_view v) {
  if (v == "N/A") return std::optional<double>();
  constexpr std::string_view kUnit = "kbits/s";
  if (v.size() > kUnit.size() && v.substr(v.size() - kUnit.size()) == kUnit) v.remove_suffix(kUnit.size());
  double kbps = 0;
  if (!to_number(v, kbps) || !std::isfinite(kbps) || kbps < 0)
    return make_error(ErrorCode::kMalformed, "ffmpeg progress: bitrate '" + std::string(v) + "' is not kbits/s");
  return std::optional<double>(kbps);
}

}  // namespace

Expected<std::optional<Progress>> ProgressParser::feed(std::string_view raw) {
  auto fail = [&](const std::string& why) -> Expected<std::optional<Progress>> {
    ++rejected_;
    return make_error(ErrorCode::kMalformed, "ffmpeg progress: " + why);
  };
  std::string_view line = trim(raw);
  if (line.empty()) return std::optional<Progress>();
  if (line.size() > kMaxLine) return fail("line longer than " + std::to_string(kMaxLine) + " bytes");
  size_t eq = line.find('=');
  if (eq == std::string_view::npos || eq == 0) return fail("expected key=value");
  std::string_view key = trim(line.substr(0, eq));
  std::string_view value = trim(line.substr(eq + 1));

  auto bad_value = [&]() { return fail(std::string(key) + "='" + std::string(value) + "' is not a number"); };
  if (key == "frame") {
    if (!to_number(value, current_.frame)) return bad_value();
  } else if (key == "fps") {
    if (!to_number(value, current_.fps) || !std::isfinite(current_.fps) || current_.fps < 0) return bad_value();
  } else if (key == "bitrate") {
    auto kbps = parse_bitrate(value);
    if (!kbps) {
      ++rejected_;
      return kbps.error();
    }
    current_.bitrate_kbps = *kbps;
  } else if (key == "drop_frames") {
    if (!to_number(value, current_.drop_frames)) return bad_value();
  } else if (key == "dup_frames") {
    if (!to_number(value, current_.dup_frames)) return bad_value();
  } else if (key == "out_time_us") {
    // "N/A" before the first packet is written.
    if (value != "N/A" && !to_number(value, current_.out_time_us)) return bad_value();
  } else if (key == "progress") {
    if (value != "continue" && value != "end") return fail("progress must be continue or end");
    current_.end = value == "end";
    Progress done = current_;
    current_ = Progress{};
    return std::optional<Progress>(done);
  }
  return std::optional<Progress>();
}

}  // namespace tidewire::firmware::ffmpeg

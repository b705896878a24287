#pragma once
// Options for every binary: declared once with type, default and help, read from an
// optional `--config FILE` (key = value lines, # comments) and then from flags
// (`--key=value` or `--key value`), flags winning. `--help` prints the declared options,
// so the help text and the defaults can never disagree.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tidewire/common/clock.hpp"
#include "tidewire/common/expected.hpp"

namespace tidewire {

struct OptionSpec {
  enum class Type { kString, kInt, kDouble, kBool };
  std::string name;
  Type type = Type::kString;
  std::string default_value;
  std::string help;
};

class Config {
 public:
  Config(std::string program, std::string summary, std::vector<OptionSpec> specs);

  // Returns false (no error) when --help was asked for; the caller prints usage() and exits 0.
  Expected<bool> parse(int argc, const char* const* argv);
  // Applies `key = value` lines; used by parse() for --config and by tests directly.
  Status apply_file_text(const std::string& text, const std::string& origin);
  Status set(const std::string& name, const std::string& value, const std::string& origin);

  std::string usage() const;
  const std::string& str(const std::string& name) const;
  int64_t integer(const std::string& name) const;
  double real(const std::string& name) const;
  bool flag(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  const OptionSpec* find(const std::string& name) const;

  std::string program_;
  std::string summary_;
  std::vector<OptionSpec> specs_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positionals_;
};

// kInvalidArgument "--name=v is out of range (lo..hi)" unless lo <= integer(name) <= hi.
Status check_range(const Config& config, const std::string& name, int64_t lo, int64_t hi);

// The replay clock options every long-running binary takes: `time-scale` (1 = real time),
// `time-start-ms` and `time-zero-ms` (see ScaledClock). Append them to a binary's specs.
std::vector<OptionSpec> clock_option_specs();
// The process clock from those options: a SystemClock at scale 1 without a start time,
// else a ScaledClock; kInvalidArgument with the option's name when they do not fit.
Expected<ClockPtr> make_clock(const Config& config);

}  // namespace tidewire

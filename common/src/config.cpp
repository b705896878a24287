#include "tidewire/common/config.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tidewire {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool parse_bool(const std::string& v, bool& out) {
  if (v == "true" || v == "1" || v == "yes" || v == "on")
    out = true;
  else if (v == "false" || v == "0" || v == "no" || v == "off")
    out = false;
  else
    return false;
  return true;
}

Status check_type(const OptionSpec& spec, const std::string& value) {
  auto bad = [&](const char* what) {
    return make_error(ErrorCode::kInvalidArgument, "--" + spec.name + "=" + value + ": expected " + what);
  };
  switch (spec.type) {
    case OptionSpec::Type::kString: return {};
    case OptionSpec::Type::kInt: {
      errno = 0;
      char* end = nullptr;
      std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || errno != 0) return bad("an integer");
      return {};
    }
    case OptionSpec::Type::kDouble: {
      char* end = nullptr;
      std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0') return bad("a number");
      return {};
    }
    case OptionSpec::Type::kBool: {
      bool b;
      if (!parse_bool(value, b)) return bad("true or false");
      return {};
    }
  }
  return {};
}

}  // namespace

Config::Config(std::string program, std::string summary, std::vector<OptionSpec> specs)
    : program_(std::move(program)), summary_(std::move(summary)), specs_(std::move(specs)) {
  for (const auto& s : specs_) values_[s.name] = s.default_value;
}

const OptionSpec* Config::find(const std::string& name) const {
  for (const auto& s : specs_)
    if (s.name == name) return &s;
  return nullptr;
}

Status Config::set(const std::string& name, const std::string& value, const std::string& origin) {
  const OptionSpec* spec = find(name);
  if (!spec) {
    return make_error(ErrorCode::kInvalidArgument,
                      origin + ": unknown option '" + name + "' (see " + program_ + " --help)");
  }
  if (auto st = check_type(*spec, value); !st) return st.error().with_context(origin);
  values_[name] = value;
  return {};
}

Status Config::apply_file_text(const std::string& text, const std::string& origin) {
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    line = trim(line);
    if (line.empty()) continue;
    auto eq = line.find('=');
    std::string where = origin + ":" + std::to_string(lineno);
    if (eq == std::string::npos) {
      return make_error(ErrorCode::kInvalidArgument, where + ": expected 'key = value', got '" + line + "'");
    }
    if (auto st = set(trim(line.substr(0, eq)), trim(line.substr(eq + 1)), where); !st) return st;
  }
  return {};
}

Expected<bool> Config::parse(int argc, const char* const* argv) {
  std::vector<std::pair<std::string, std::string>> flags;
  std::string config_file;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return false;
    if (arg.rfind("--", 0) != 0) {
      positionals_.push_back(arg);
      continue;
    }
    std::string key = arg.substr(2), value;
    auto eq = key.find('=');
    if (eq != std::string::npos) {
      value = key.substr(eq + 1);
      key.resize(eq);
    } else {
      const OptionSpec* spec = find(key);
      if (spec && spec->type == OptionSpec::Type::kBool) {
        value = "true";  // a bare boolean flag; --flag=false turns it off
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return make_error(ErrorCode::kInvalidArgument, "--" + key + " needs a value");
      }
    }
    if (key == "config")
      config_file = value;
    else
      flags.emplace_back(key, value);
  }
  if (!config_file.empty()) {
    std::ifstream f(config_file);
    if (!f) return make_error(ErrorCode::kInvalidArgument, "cannot read config file " + config_file);
    std::stringstream ss;
    ss << f.rdbuf();
    if (auto st = apply_file_text(ss.str(), config_file); !st) return st.error();
  }
  for (auto& [k, v] : flags)
    if (auto st = set(k, v, "command line"); !st) return st.error();
  return true;
}

std::string Config::usage() const {
  std::ostringstream os;
  os << "usage: " << program_ << " [--config FILE] [--option=value ...]\n\n" << summary_ << "\n\noptions:\n";
  os << "  --config FILE\n      read 'option = value' lines first; flags override them\n";
  os << "  --help\n      print this help and exit\n";
  for (const auto& s : specs_) {
    os << "  --" << s.name;
    if (s.type != OptionSpec::Type::kBool) os << "=" << (s.type == OptionSpec::Type::kString ? "TEXT" : "N");
    os << "\n      " << s.help << " (default: " << (s.default_value.empty() ? "none" : s.default_value) << ")\n";
  }
  return os.str();
}

const std::string& Config::str(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("undeclared option " + name);
  return it->second;
}
int64_t Config::integer(const std::string& name) const {
  return std::strtoll(str(name).c_str(), nullptr, 10);
}
double Config::real(const std::string& name) const {
  return std::strtod(str(name).c_str(), nullptr);
}
bool Config::flag(const std::string& name) const {
  bool b = false;
  parse_bool(str(name), b);
  return b;
}

Status check_range(const Config& config, const std::string& name, int64_t lo, int64_t hi) {
  int64_t v = config.integer(name);
  if (v < lo || v > hi) {
    return make_error(ErrorCode::kInvalidArgument, "--" + name + "=" + std::to_string(v) + " is out of range (" +
                                                       std::to_string(lo) + ".." + std::to_string(hi) + ")");
  }
  return {};
}

}  // namespace tidewire

#include "cli.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "tidewire/common/log.hpp"

namespace tidewire::sim::cli {

int parse(Config& config, int argc, char** argv) {
  auto parsed = config.parse(argc, argv);
  if (!parsed) {
    std::cerr << "tidewire-sim: " << parsed.error().message << "\n";
    return 2;
  }
  if (!*parsed) {
    std::cout << config.usage();
    return 0;
  }
  log::Level level;
  if (!log::parse_level(config.str("log-level"), level)) {
    std::cerr << "tidewire-sim: --log-level must be debug, info, warn or error\n";
    return 2;
  }
  log::set_level(level);
  return -1;
}

OptionSpec cloud_token_spec() {
  return {"cloud-token-file", OptionSpec::Type::kString, "",
          "file holding the cloud's API token (tidewire-cloud token create --out FILE); empty = $TW_CLOUD_TOKEN"};
}

Expected<std::string> cloud_token(const Config& config) {
  const std::string& path = config.str("cloud-token-file");
  if (path.empty()) {
    const char* env = std::getenv("TW_CLOUD_TOKEN");
    return std::string(env ? env : "");
  }
  std::ifstream f(path);
  std::string token;
  if (!f || !std::getline(f, token) || token.empty()) {
    return make_error(ErrorCode::kIo, "--cloud-token-file " + path + " holds no token");
  }
  return token;
}

}  // namespace tidewire::sim::cli

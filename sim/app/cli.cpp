#include "cli.hpp"

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

}  // namespace tidewire::sim::cli

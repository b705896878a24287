// tidewire-cloud: the capability modules this process can run (all_modules.cpp), handed
// to the CloudHost. Adding a capability is one line there and a module of its own
// (docs/architecture.md).
#include <iostream>

#include "all_modules.hpp"
#include "tidewire/cloud/cloud_host.hpp"
#include "tidewire/common/log.hpp"

int main(int argc, char** argv) {
  using namespace tidewire;
  cloud::CloudHost host(cloud::all_modules());
  // `tidewire-cloud token ...` and other module commands run instead of the server.
  if (int rc = host.run_command(argc, argv); rc >= 0) return rc;

  Config config = host.make_config();
  auto parsed = config.parse(argc, argv);
  if (!parsed) {
    std::cerr << "tidewire-cloud: " << parsed.error().message << "\n";
    return 2;
  }
  if (!*parsed) {
    std::cout << config.usage();
    return 0;
  }
  if (auto st = host.check(config); !st) {
    std::cerr << "tidewire-cloud: " << st.error().message << " (see tidewire-cloud --help)\n";
    return 2;
  }
  log::Level level;
  if (!log::parse_level(config.str("log-level"), level)) {
    std::cerr << "tidewire-cloud: --log-level=" << config.str("log-level")
              << " is not one of debug, info, warn, error\n";
    return 2;
  }
  log::set_level(level);
  return host.run(config);
}

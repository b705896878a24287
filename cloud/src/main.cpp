// tidewire-cloud: the capability modules this process can run (all_modules.cpp), handed
// to the CloudHost. Adding a capability is one line there and a module of its own
// (docs/architecture.md).
#include <iostream>

#include "all_modules.hpp"
#include "tidewire/cloud/cloud_host.hpp"
#include "tidewire/common/log.hpp"
#include "tidewire/credentials/credentials_command.hpp"

int main(int argc, char** argv) {
  using namespace tidewire;
  // Subcommands that manage the cloud's data and exit: broker credentials (docs/security.md).
  if (argc > 1 && credentials::is_credentials_command(argv[1]))
    return credentials::run_credentials_command({argv + 1, argv + argc}, std::cout, std::cerr);
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
    std::cout << config.usage()
              << "\nsubcommands: token create|list|revoke (tidewire-cloud token --help); provision, revoke, "
                 "credentials list, broker-files (tidewire-cloud provision --help)\n";
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

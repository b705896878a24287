#include "all_modules.hpp"

#include "alerts_module.hpp"
#include "commands_module.hpp"
#include "dispatch_module.hpp"
#include "fleet_module.hpp"
#include "identity_module.hpp"
#include "push_module.hpp"

namespace tidewire::cloud {

std::vector<CloudModulePtr> all_modules() {
  std::vector<CloudModulePtr> modules;
  modules.push_back(identity::make_identity_module());  // API tokens: the gate in front of every route
  modules.push_back(make_fleet_module());               // devices and batch ingest
  modules.push_back(make_commands_module());            // commands to devices (needs fleet)
  modules.push_back(dispatch::make_dispatch_module());  // orders and riders (needs commands)
  modules.push_back(push::make_push_module());          // notifications (provides the Notifier)
  modules.push_back(alerts::make_alerts_module());      // alert rules (needs fleet and push)
  return modules;
}

}  // namespace tidewire::cloud

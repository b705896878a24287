#pragma once
// A capability of tidewire-cloud (fleet, commands, dispatch, push, alerts, and next
// identity, live rooms, campaigns) is a CloudModule; the CloudHost (cloud_host.hpp) owns
// what they share and drives each through the same life:
//
//   options()         declared up front, so --help and --config know every option
//   check(config)     the values given, before anything is opened
//   open(context)     opens its store, builds its services, subscribes to device items,
//                     provides services other modules use; no thread runs yet
//   install(router)   adds its HTTP routes
//   mqtt_routes()     the MQTT filters it subscribes to, each with its handler
//   start()           starts its threads; the MQTT connection comes up after every start()
//   tick()            housekeeping, about once a second, on the host's main thread
//   refresh_metrics() gauges read from its store, just before /metrics renders
//   health()          for /healthz: an error says what is wrong
//   stop()            in reverse order of start, before any module is destroyed
//
// A module may also offer command-line verbs (commands()): `tidewire-cloud token create
// ...` runs the identity module's "token" verb instead of the server, with the same
// --config and store options, so a command and the server it sits next to agree on where
// the data is.
//
// Modules meet only through the host: what one offers another (the commands a dispatcher
// sends offers through, the notifier alerts tell people with) is provided into the
// ServiceDirectory by type in open() and found there by the modules opened after it.
// The host serves what every module shares: GET / (an index of every module's routes),
// GET /metrics and GET /healthz.
// Adding a module touches no other module and no core file: write the class, list it in
// main.cpp. docs/architecture.md, "Adding a capability module".
#include <functional>
#include <memory>
#include <string>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include "http/router.hpp"
#include "tidewire/cloud/device_feed.hpp"
#include "tidewire/cloud/store_url.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/common/config.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/common/random.hpp"
#include "tidewire/transport/transport.hpp"

namespace tidewire::cloud {

// Services modules offer each other, by type: one of each type per process.
class ServiceDirectory {
 public:
  template <class T>
  void provide(T& service) {
    services_[std::type_index(typeid(T))] = &service;
  }
  template <class T>
  T* find() const {
    auto it = services_.find(std::type_index(typeid(T)));
    return it == services_.end() ? nullptr : static_cast<T*>(it->second);
  }
  // The service, or kUnavailable naming the module that provides it.
  template <class T>
  Expected<T*> need(const std::string& who, const std::string& provider) const {
    if (T* s = find<T>()) return s;
    return make_error(ErrorCode::kUnavailable,
                      "needs the " + provider + " module: add " + provider + " to --modules (before " + who + ")");
  }

 private:
  std::unordered_map<std::type_index, void*> services_;
};

// What the host hands a module in open(). Everything outlives every module.
struct ModuleContext {
  const Config& config;
  Clock& clock;
  Random& random;
  MetricsRegistry& metrics;
  transport::Transport& mqtt;            // the cloud broker connection (not yet connected in open())
  std::function<bool()> mqtt_connected;  // for health reports
  DeviceFeed& devices;                   // subscribe to what devices report
  const StoreFactory& stores;            // where each module's store lives
  ServiceDirectory& services;
};

// An MQTT subscription of a module: messages on topics matching `filter` go to `handler`,
// on the MQTT client's thread (hand them to your own thread; never block it).
struct MqttRoute {
  std::string filter;
  int qos = 1;
  std::function<void(const transport::Message&)> handler;
};

// A command-line verb of a module: `tidewire-cloud VERB ...`. `run` gets the parsed
// options (the host's, every module's and its own; positionals()[0] is VERB) and the
// store URLs, prints to stdout and errors to stderr, and returns the exit code.
struct ModuleCommand {
  std::string verb;
  std::string usage;  // one line per form, for --help and errors
  std::vector<OptionSpec> options;
  std::function<int(const Config& config, const StoreFactory& stores)> run;
};

class CloudModule {
 public:
  virtual ~CloudModule() = default;

  // Lower-case, as given to --modules.
  virtual std::string name() const = 0;
  // One line for --help and the start-up log.
  virtual std::string summary() const = 0;
  virtual std::vector<OptionSpec> options() const { return {}; }
  virtual std::vector<ModuleCommand> commands() const { return {}; }
  // Whether it keeps a store of its own: the host then offers --<name>-store.
  virtual bool keeps_store() const { return true; }
  virtual Status check(const Config&) const { return {}; }
  virtual Status open(ModuleContext& context) = 0;
  virtual Status install(http::Router&) { return {}; }
  virtual std::vector<MqttRoute> mqtt_routes() { return {}; }
  virtual Status start() { return {}; }
  virtual void tick() {}
  // Gauges read from a store at scrape time are refreshed here, before /metrics renders.
  virtual void refresh_metrics() {}
  virtual Status health() { return {}; }
  virtual void stop() {}
};
using CloudModulePtr = std::unique_ptr<CloudModule>;

}  // namespace tidewire::cloud

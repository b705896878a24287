#pragma once
// The CloudHost runs a list of CloudModules (module.hpp) in one process. It owns what they
// share: the clock and randomness, the metrics registry, the MQTT client to the cloud
// broker, the DeviceFeed of ingested device items, the ServiceDirectory, the store URLs
// and the HTTP server. tidewire-cloud's main.cpp is the list of modules and nothing else.
//
// Start (start()): open every module given to --modules in list order, subscribe their
// MQTT filters, start them in order, connect to the broker, install their routes, serve
// HTTP. Stop (stop(), or SIGTERM in run()): close HTTP, stop modules in reverse order of
// start (each finishes what it holds: ingest acks the batch it is storing), disconnect
// MQTT; modules are destroyed afterwards, again in reverse order, so no module goes while
// another may still call it.
//
// Options of the host: http-*, mqtt-*, store and <module>-store, modules, log-level and
// the clock options; every module adds its own (cloud/README.md lists them by module).
#include <memory>
#include <string>
#include <vector>

#include "tidewire/cloud/module.hpp"
#include "tidewire/common/config.hpp"

namespace tidewire::cloud {

class CloudHost {
 public:
  // `modules` in dependency order: a module finds the services of those before it.
  explicit CloudHost(std::vector<CloudModulePtr> modules);
  ~CloudHost();  // stop()
  CloudHost(const CloudHost&) = delete;
  CloudHost& operator=(const CloudHost&) = delete;

  // Every option of the host and of its modules, with their defaults; `extra` appended.
  Config make_config(std::vector<OptionSpec> extra = {}) const;

  // `tidewire-cloud VERB ...` for a verb some module offers (ModuleCommand): parses argv,
  // runs it and returns its exit code. -1 when argv[1] is no module's verb (serve instead).
  int run_command(int argc, char** argv) const;
  // Ranges, names and the modules' own checks; kInvalidArgument naming the option.
  Status check(const Config& config) const;

  // Opens and starts the modules named by --modules and serves HTTP; errors name the
  // module or option to fix. Call once.
  Status start(const Config& config);
  // The HTTP port serving (after start()).
  int http_port() const;
  // Runs the modules' housekeeping until SIGTERM/SIGINT, then stop(). Returns the exit code.
  int run(const Config& config);
  // Safe to call more than once.
  void stop();

  // The names of the modules this process runs (after start()).
  std::vector<std::string> running() const;
  MetricsRegistry& metrics();
  // Every HTTP route served, with who may call it (after start()): for the route walk.
  std::vector<http::RouteInfo> routes() const;
  // Runs one round of housekeeping now (what run() does every second).
  void tick();

  struct Parts;

 private:
  Expected<StoreFactory> make_stores(const Config& config) const;

  std::vector<CloudModulePtr> modules_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace tidewire::cloud

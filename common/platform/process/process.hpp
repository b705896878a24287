#pragma once
// Child processes and local brokers, for tests, the simulator's bench and the demo.
// Everything binds loopback, on ports found free at start (never fixed ports).
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tidewire/common/expected.hpp"

namespace tidewire::process {

// Asks the kernel for a free loopback TCP port (bind to port 0, read it back, close).
Expected<int> free_loopback_port();
// True once something accepts TCP connections on 127.0.0.1:port.
bool port_accepts(int port);
// Polls `ready` every few milliseconds until it holds or timeout_ms passes.
bool wait_until(const std::function<bool()>& ready, int64_t timeout_ms);

class ChildProcess {
 public:
  // argv[0] is the executable path. Output goes to log_path (appended), or inherited if empty.
  static Expected<std::unique_ptr<ChildProcess>> spawn(const std::vector<std::string>& argv,
                                                        const std::string& log_path = "");
  ~ChildProcess();  // SIGTERM, then SIGKILL after 5 s if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // SIGTERM and wait up to timeout_ms (then SIGKILL). Returns the exit status (or -signal).
  int terminate(int64_t timeout_ms = 5000);
  // SIGKILL, as a crash would.
  void kill9();
  // Waits for exit up to timeout_ms; returns false on timeout.
  bool wait_exit(int64_t timeout_ms, int* status = nullptr);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  bool reaped_ = false;
  int status_ = 0;
};
using ChildProcessPtr = std::unique_ptr<ChildProcess>;

// A real mosquitto broker on 127.0.0.1, configured and started by us.
class LocalBroker {
 public:
  struct Options {
    std::string work_dir;           // config and log are written here
    int port = 0;                   // 0 = pick a free port
    std::string mosquitto_path;     // "" = search /usr/sbin, /usr/bin, PATH
    int max_inflight_messages = 1000;
    int max_queued_messages = 100000;
    // Both set: the broker is locked (allow_anonymous false, this password_file and
    // acl_file; docs/security.md). Both empty: anonymous clients may do anything, which
    // only tests of the transport itself should use.
    std::string password_file;
    std::string acl_file;
    // A TLS listener (PEM files; throwaway_ca.hpp makes a set); all empty = plain TCP.
    std::string tls_ca_file;
    std::string tls_cert_file;
    std::string tls_key_file;
    // Mutual TLS: a client must present a certificate signed by tls_ca_file, and its
    // common name becomes the client's user name (use_identity_as_username).
    bool require_client_certificate = false;
    // Free text appended to the generated mosquitto.conf (tests: a plugin, max_qos, ...).
    std::string extra_config;
  };
  static Expected<std::unique_ptr<LocalBroker>> start(const Options& options);
  ~LocalBroker();

  int port() const { return port_; }
  const std::string& log_path() const { return log_path_; }
  // Stops (SIGTERM) and starts again on the same port; sessions and in-flight are lost.
  Status restart();
  void kill9();
  Status start_again();
  // SIGHUP: mosquitto re-reads its password and acl files; connected clients stay, and
  // a user no longer in the files is refused at its next connect.
  Status reload();
  bool locked() const { return !options_.password_file.empty(); }

 private:
  LocalBroker() = default;
  Status launch();
  Options options_;
  int port_ = 0;
  std::string config_path_;
  std::string log_path_;
  ChildProcessPtr child_;
};
using LocalBrokerPtr = std::unique_ptr<LocalBroker>;

std::string find_mosquitto();

}  // namespace tidewire::process

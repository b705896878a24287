#pragma once
// A whole Tidewire site on loopback: cloud broker, site broker, tidewire-cloud and
// tidewire-edge as real child processes with generated config files under a run folder.
// `make demo`, `tidewire-sim bench` and the fault tests all stand on this.
#include <memory>
#include <string>

#include "http/http.hpp"
#include "process/process.hpp"
#include "tidewire/common/expected.hpp"

namespace tidewire::sim {

struct StackOptions {
  std::string run_dir = "run";  // configs, logs, databases
  std::string bin_dir;          // where tidewire-cloud / tidewire-edge live; "" = next to this binary
  std::string http_host = "127.0.0.1";
  int http_port = 0;            // 0 = a free port
  std::string edge_id = "edge-1";
  std::string site = "site-1";
  std::string log_level = "info";
  int offline_after_s = 120;
  // Extra `key = value` lines appended to the generated edge config (bench tuning).
  std::string edge_extra_config;
  // Extra `key = value` lines appended to the generated cloud config (dispatch policy,
  // clock scale, ...).
  std::string cloud_extra_config;
};

class Stack {
 public:
  static Expected<std::unique_ptr<Stack>> start(const StackOptions& options);
  ~Stack();  // stop()
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  int site_broker_port() const { return site_broker_->port(); }
  int cloud_broker_port() const { return cloud_broker_->port(); }
  int http_port() const { return http_port_; }
  std::string cloud_url() const;
  const StackOptions& options() const { return options_; }
  // An operator token made with `tidewire-cloud token create` before the cloud started
  // (also in run_dir/operator.token), and where to find the cloud with it.
  const std::string& operator_token() const { return operator_token_; }
  // A token for `principal` with `scopes` (comma-separated), made the same way.
  Expected<std::string> make_token(const std::string& principal, const std::string& scopes);

  // Fault injection.
  void kill9_edge();
  Status start_edge();
  Status restart_edge();
  void kill9_cloud();
  Status start_cloud();
  Status restart_cloud_broker();
  Status restart_site_broker();

  // SIGTERM in dependency order: edge, cloud, then brokers. Idempotent.
  void stop();

 private:
  Stack() = default;
  Status write_configs();
  Status make_operator_token();
  std::string path(const std::string& name) const { return options_.run_dir + "/" + name; }

  StackOptions options_;
  int http_port_ = 0;
  std::string operator_token_;
  process::LocalBrokerPtr cloud_broker_;
  process::LocalBrokerPtr site_broker_;
  process::ChildProcessPtr cloud_;
  process::ChildProcessPtr edge_;
};

// A cloud's HTTP address given on the command line.
struct HttpEndpoint {
  std::string host;
  int port = 0;
  std::string token;  // bearer token sent with every request; "" = none
  // "Authorization: Bearer <token>", or nothing without a token.
  http::HeaderList auth() const;
};
// "http://HOST:PORT" (a trailing slash allowed); errors name `flag`.
Expected<HttpEndpoint> parse_http_url(const std::string& url, const std::string& flag);

// Directory holding the running executable (/proc/self/exe), to find sibling binaries.
std::string own_bin_dir();

}  // namespace tidewire::sim

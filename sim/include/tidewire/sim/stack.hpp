#pragma once
// A whole Tidewire site on loopback: cloud broker, site broker, tidewire-cloud and
// tidewire-edge as real child processes with generated config files under a run folder.
// `make demo`, `tidewire-sim bench` and the fault tests all stand on this.
#include <memory>
#include <string>
#include <vector>

#include "http/http.hpp"
#include "process/process.hpp"
#include "process/throwaway_ca.hpp"
#include "tidewire/common/expected.hpp"
#include "tidewire/credentials/login_file.hpp"
#include "tidewire/credentials/principal.hpp"
#include "tidewire/transport/transport.hpp"

namespace tidewire::credentials {
class CredentialStore;
}

namespace tidewire::sim {

struct FleetOptions;

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
  // Both brokers refuse anonymous clients and enforce per-principal ACLs, as the project
  // configures them for users (docs/security.md). The Stack provisions the cloud and the
  // edge itself; clients it does not start get their logins from provision*().
  bool locked = true;
  std::string cloud_id = "cloud-1";
  // Every MQTT hop over TLS (`make demo` with TW_DEMO_TLS=1, `bench pipeline --tls`): a
  // throwaway CA made in run_dir/tls/ (process::ThrowawayCa, never for production), both
  // brokers listening with TLS only, the edge and the cloud trusting that CA. Clients the
  // Stack does not start take client_tls().
  bool tls = false;
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
  // What a client of either broker needs: the CA to trust when options().tls, else empty.
  const transport::ConnectOptions::Tls& client_tls() const { return client_tls_; }
  // An operator token made with `tidewire-cloud token create` before the cloud started
  // (also in run_dir/operator.token), and where to find the cloud with it.
  const std::string& operator_token() const { return operator_token_; }
  // A token for `principal` with `scopes` (comma-separated), made the same way.
  Expected<std::string> make_token(const std::string& principal, const std::string& scopes);

  // Credentials, in the cloud's store (run/cloud.db) like `tidewire-cloud provision`. Each
  // call provisions (replacing an earlier password of the same principal), rewrites the
  // broker files (run/brokers/{site,cloud}/) and run/logins, reloads both brokers and
  // returns once they accept the new logins.
  Expected<std::vector<credentials::Login>> provision(std::vector<credentials::Principal> principals);
  Expected<credentials::Login> provision(const credentials::Principal& principal);
  // Provisions every device of the fleet (on this stack's site) and puts the logins into
  // fo.logins.
  Status provision_fleet(FleetOptions& fo);
  // Provisions recipient.<id> for each id (no audience) and returns their logins.
  Expected<credentials::LoginBook> provision_recipients(const std::vector<std::string>& ids);
  // Revokes, rewrites the files and reloads: the principal is refused at its next connect.
  Status revoke(credentials::PrincipalKind kind, const std::string& id);
  // Every login this Stack provisioned (also in logins_path(), mode 0600).
  const credentials::LoginBook& logins() const { return logins_; }
  std::string logins_path() const { return path("logins"); }

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
  Status open_credentials();
  // Renders and writes both brokers' files and run/logins; `reload`: SIGHUP both brokers
  // and wait until `probe` (a login just provisioned) is accepted where it belongs.
  Status write_credentials(bool reload, const std::vector<credentials::Principal>& probe = {},
                           const std::vector<credentials::Login>& probe_logins = {});
  std::string path(const std::string& name) const { return options_.run_dir + "/" + name; }

  StackOptions options_;
  int http_port_ = 0;
  std::string operator_token_;
  process::LocalBrokerPtr cloud_broker_;
  process::LocalBrokerPtr site_broker_;
  process::ChildProcessPtr cloud_;
  process::ChildProcessPtr edge_;
  std::unique_ptr<credentials::CredentialStore> credentials_;
  credentials::LoginBook logins_;
  credentials::Login cloud_login_;
  credentials::Login edge_login_;
  transport::ConnectOptions::Tls client_tls_;
  process::CertAndKey broker_certificate_;
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

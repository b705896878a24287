// The Stack's credentials (docs/security.md): it provisions what it starts in the cloud's
// store, renders both brokers' files and reloads the brokers, as an operator would with
// `tidewire-cloud provision` and `broker-files`.
#include <filesystem>

#include "open_credential_store.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/credentials/broker_files.hpp"
#include "tidewire/credentials/provisioning.hpp"
#include "tidewire/sim/fleet.hpp"
#include "tidewire/sim/stack.hpp"
#include "tidewire/transport/mosquitto_client.hpp"
#include "tidewire/transport/mosquitto_loop.hpp"

namespace tidewire::sim {
namespace fs = std::filesystem;
using credentials::Principal;
using credentials::PrincipalKind;

namespace {

Principal principal(PrincipalKind kind, const std::string& id, const std::string& site = "") {
  Principal p;
  p.kind = kind;
  p.id = id;
  p.site = site;
  return p;
}

// True once the broker on `port` accepts `login` (a reload is applied when the broker gets
// to the signal; a client refused before that would back off for seconds).
bool login_accepted(int port, const transport::ConnectOptions::Tls& tls, const credentials::Login& login,
                    int64_t timeout_ms) {
  transport::MosquittoLoop loop;
  if (!loop.start_thread()) return false;
  SeededRandom random(1);
  transport::MosquittoClientOptions co;
  co.log_edges = false;
  transport::MosquittoClient client(loop, random, co);
  transport::ConnectOptions o;
  o.port = port;
  o.tls = tls;
  o.client_id = "stack-probe-" + login.username;
  o.username = login.username;
  o.password = login.password;
  o.reconnect_min_ms = 20;
  o.reconnect_max_ms = 100;
  bool up = client.connect(o).ok() && process::wait_until([&] { return client.is_connected(); }, timeout_ms);
  client.disconnect();
  loop.stop();
  return up;
}

}  // namespace

Status Stack::open_credentials() {
  std::error_code ec;
  fs::create_directories(path("brokers/site"), ec);
  fs::create_directories(path("brokers/cloud"), ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot create " + path("brokers") + ": " + ec.message());
  auto url = cloud::parse_store_url("sqlite:" + path("cloud.db"), {"sqlite"});
  if (!url) return url.error();
  auto store = credentials::open_credential_store(*url);
  if (!store) return store.error();
  credentials_ = std::move(*store);
  SystemClock clock;
  auto logins = credentials::provision(*credentials_,
                                       {principal(PrincipalKind::kCloud, options_.cloud_id),
                                        principal(PrincipalKind::kEdge, options_.edge_id, options_.site)},
                                       true, clock.wall_ms());
  if (!logins) return logins.error();
  cloud_login_ = (*logins)[0];
  edge_login_ = (*logins)[1];
  for (const auto& l : *logins) logins_[l.username] = l.password;
  return write_credentials(false);
}

Status Stack::write_credentials(bool reload, const std::vector<Principal>& probe,
                                const std::vector<credentials::Login>& probe_logins) {
  auto all = credentials_->list();
  if (!all) return all.error();
  auto site = credentials::render_site_broker(*all, options_.site);
  if (!site) return site.error();
  auto cloud = credentials::render_cloud_broker(*all);
  if (!cloud) return cloud.error();
  if (auto st = credentials::write_broker_files(path("brokers/site"), *site); !st) return st;
  if (auto st = credentials::write_broker_files(path("brokers/cloud"), *cloud); !st) return st;
  if (auto st = credentials::write_login_file(logins_path(), logins_); !st) return st;
  if (!reload || !options_.locked) return {};
  for (auto* broker : {site_broker_.get(), cloud_broker_.get()}) {
    if (auto st = broker->reload(); !st) return st;
  }
  // One login per broker it belongs to is enough: a reload reads the whole file.
  bool site_probed = false, cloud_probed = false;
  for (size_t i = 0; i < probe.size() && i < probe_logins.size(); ++i) {
    const bool on_site = probe[i].kind == PrincipalKind::kDevice || probe[i].kind == PrincipalKind::kEdge;
    const bool on_cloud = probe[i].kind != PrincipalKind::kDevice;
    for (auto [wanted, done, broker, name] : {std::tuple{on_site, &site_probed, site_broker_.get(), "site"},
                                              std::tuple{on_cloud, &cloud_probed, cloud_broker_.get(), "cloud"}}) {
      if (!wanted || *done) continue;
      if (!login_accepted(broker->port(), client_tls_, probe_logins[i], 10'000)) {
        return make_error(ErrorCode::kUnavailable, std::string("the ") + name + " broker does not accept " +
                                                       probe_logins[i].username + " after reload (see " +
                                                       broker->log_path() + ")");
      }
      *done = true;
    }
  }
  return {};
}

Expected<std::vector<credentials::Login>> Stack::provision(std::vector<Principal> principals) {
  SystemClock clock;
  auto logins = credentials::provision(*credentials_, principals, true, clock.wall_ms());
  if (!logins) return logins.error();
  for (const auto& l : *logins) logins_[l.username] = l.password;
  if (auto st = write_credentials(true, principals, *logins); !st) return st.error();
  return logins;
}

Expected<credentials::Login> Stack::provision(const Principal& p) {
  auto logins = provision(std::vector<Principal>{p});
  if (!logins) return logins.error();
  return logins->front();
}

Status Stack::provision_fleet(FleetOptions& fo) {
  std::vector<Principal> devices;
  for (const auto& [kind, id] : fleet_devices(fo)) {
    Principal p = principal(PrincipalKind::kDevice, id, options_.site);
    p.device_kind = kind;
    devices.push_back(std::move(p));
  }
  if (devices.empty()) return {};
  auto logins = provision(std::move(devices));
  if (!logins) return logins.error();
  for (const auto& l : *logins) fo.logins[l.username] = l.password;
  return {};
}

Expected<credentials::LoginBook> Stack::provision_recipients(const std::vector<std::string>& ids) {
  std::vector<Principal> recipients;
  for (const auto& id : ids) recipients.push_back(principal(PrincipalKind::kRecipient, id));
  credentials::LoginBook book;
  if (recipients.empty()) return book;
  auto logins = provision(std::move(recipients));
  if (!logins) return logins.error();
  for (const auto& l : *logins) book[l.username] = l.password;
  return book;
}

Status Stack::revoke(PrincipalKind kind, const std::string& id) {
  SystemClock clock;
  if (auto st = credentials_->revoke(kind, id, clock.wall_ms()); !st) return st;
  logins_.erase(credentials::username(kind, id));
  return write_credentials(true);
}

}  // namespace tidewire::sim

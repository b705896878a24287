#include "tidewire/credentials/credentials_command.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

#include "open_credential_store.hpp"
#include "tidewire/common/clock.hpp"
#include "tidewire/common/config.hpp"
#include "tidewire/credentials/broker_files.hpp"
#include "tidewire/credentials/provisioning.hpp"

namespace tidewire::credentials {
namespace {

using T = OptionSpec::Type;

const char* kSummary =
    "Broker credentials (docs/security.md): one MQTT user per device, edge, cloud, push recipient and push "
    "gateway, named <kind>.<id>, with a password of which only the hash is stored.\n\n"
    "  provision device ID --site S --kind poster|rider|encoder|merchant\n"
    "  provision edge ID --site S\n"
    "  provision recipient ID [--audience customer|merchant|rider]\n"
    "  provision cloud ID  |  provision gateway ID\n"
    "      prints the new password once (or writes 'username password' to --password-file, mode 0600);\n"
    "      an id already provisioned is refused unless --rotate (a new password; the old one stops working\n"
    "      when the broker files are written again and the broker reloads)\n"
    "  revoke KIND ID                      the principal gets no password or ACL line from now on\n"
    "  credentials list                    every principal, active and revoked (never a password)\n"
    "  broker-files --broker cloud|site [--site S] --out DIR\n"
    "      writes DIR/passwords and DIR/acl (mosquitto password_file and acl_file, mode 0640, atomically);\n"
    "      then send the broker SIGHUP to apply them without a restart\n\n"
    "The store is the cloud's: --store URL, else the 'store' (or 'db-path') line of --config FILE (the\n"
    "cloud's config file; its other lines are ignored), else sqlite:cloud.db";

Config make_config() {
  return Config("tidewire-cloud provision|revoke|credentials|broker-files", kSummary,
                {{"store", T::kString, "", "credential store URL (sqlite:PATH); empty = the cloud's"},
                 {"db-path", T::kString, "cloud.db", "SQLite file when --store is empty (as tidewire-cloud)"},
                 {"site", T::kString, "", "site of a device or edge; the site whose broker files to write"},
                 {"kind", T::kString, "", "device kind: poster, rider, encoder or merchant"},
                 {"audience", T::kString, "", "recipient: whose order updates it may read (customer|merchant|rider)"},
                 {"rotate", T::kBool, "false", "provision: replace an active principal's password"},
                 {"password-file", T::kString, "", "provision: write 'username password' here (0600), not stdout"},
                 {"broker", T::kString, "", "broker-files: cloud or site"},
                 {"out", T::kString, "", "broker-files: directory for passwords and acl"}});
}

// The cloud's config file may hold any cloud option: keep only the store's lines.
Status apply_cloud_config(Config& config, const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::kInvalidArgument, "cannot read config file " + path);
  std::string kept, line;
  while (std::getline(in, line)) {
    std::string key = line.substr(0, line.find('='));
    key.erase(0, key.find_first_not_of(" \t"));
    key.erase(key.find_last_not_of(" \t\r") + 1);
    kept += (key == "store" || key == "db-path") ? line + "\n" : "\n";
  }
  return config.apply_file_text(kept, path);
}

Expected<CredentialStorePtr> open_store(const Config& config) {
  std::string text = config.str("store").empty() ? "sqlite:" + config.str("db-path") : config.str("store");
  auto url = cloud::parse_store_url(text, {"sqlite"});
  if (!url) return url.error().with_context("--store");
  return open_credential_store(*url);
}

int usage_error(std::ostream& err, const std::string& message) {
  err << "tidewire-cloud: " << message << " (see tidewire-cloud provision --help)\n";
  return 2;
}

int failed(std::ostream& err, const Error& e) {
  err << "tidewire-cloud: " << e.message << "\n";
  return e.code == ErrorCode::kInvalidArgument ? 2 : 1;
}

int cmd_provision(const Config& c, const std::vector<std::string>& pos, std::ostream& out, std::ostream& err) {
  if (pos.size() != 3) return usage_error(err, "usage: provision KIND ID [options]");
  auto kind = parse_principal_kind(pos[1]);
  if (!kind) return failed(err, kind.error());
  Principal p;
  p.kind = *kind;
  p.id = pos[2];
  p.site = c.str("site");
  if (p.kind == PrincipalKind::kDevice) {
    if (c.str("kind").empty()) return usage_error(err, "a device needs --kind poster, rider, encoder or merchant");
    auto dk = topics::parse_kind(c.str("kind"));
    if (!dk) return failed(err, dk.error());
    p.device_kind = *dk;
  } else if (!c.str("kind").empty()) {
    return usage_error(err, "--kind is for devices only");
  }
  if (!c.str("audience").empty()) {
    auto a = parse_audience(c.str("audience"));
    if (!a) return failed(err, a.error());
    p.audience = *a;
  }
  if (auto st = validate(p); !st) return failed(err, st.error());
  auto store = open_store(c);
  if (!store) return failed(err, store.error());
  SystemClock clock;
  auto logins = provision(**store, {p}, c.flag("rotate"), clock.wall_ms());
  if (!logins) return failed(err, logins.error());
  const Login& login = logins->front();
  if (!c.str("password-file").empty()) {
    if (auto st = write_login_file(c.str("password-file"), {{login.username, login.password}}); !st)
      return failed(err, st.error());
    out << (c.flag("rotate") ? "rotated " : "provisioned ") << login.username << "; login written to "
        << c.str("password-file") << "\n";
  } else {
    out << (c.flag("rotate") ? "rotated " : "provisioned ") << login.username << "\n"
        << "username " << login.username << "\npassword " << login.password << "\n"
        << "(shown once: only its hash is stored)\n";
  }
  // Which broker's files change: a device's site, an edge's site and the cloud, the rest the cloud.
  if (p.kind == PrincipalKind::kDevice || p.kind == PrincipalKind::kEdge)
    out << "apply: tidewire-cloud broker-files --broker site --site " << p.site << " --out DIR\n";
  if (p.kind != PrincipalKind::kDevice) out << "apply: tidewire-cloud broker-files --broker cloud --out DIR\n";
  out << "then send that broker SIGHUP\n";
  return 0;
}

int cmd_revoke(const Config& c, const std::vector<std::string>& pos, std::ostream& out, std::ostream& err) {
  if (pos.size() != 3) return usage_error(err, "usage: revoke KIND ID");
  auto kind = parse_principal_kind(pos[1]);
  if (!kind) return failed(err, kind.error());
  if (!topics::valid_id(pos[2])) return usage_error(err, "invalid id '" + pos[2].substr(0, 80) + "'");
  auto store = open_store(c);
  if (!store) return failed(err, store.error());
  SystemClock clock;
  if (auto st = (*store)->revoke(*kind, pos[2], clock.wall_ms()); !st) return failed(err, st.error());
  out << "revoked " << username(*kind, pos[2]) << "; write the broker files again and SIGHUP the broker to refuse it\n";
  return 0;
}

int cmd_list(const Config& c, const std::vector<std::string>& pos, std::ostream& out, std::ostream& err) {
  if (pos.size() != 2 || pos[1] != "list") return usage_error(err, "usage: credentials list");
  auto store = open_store(c);
  if (!store) return failed(err, store.error());
  auto all = (*store)->list();
  if (!all) return failed(err, all.error());
  out << "username\tsite\tdevice_kind\taudience\tcreated_ms\trevoked_ms\n";
  for (const auto& p : *all) {
    out << username(p) << "\t" << (p.site.empty() ? "-" : p.site) << "\t"
        << (p.kind == PrincipalKind::kDevice ? topics::kind_name(p.device_kind) : "-") << "\t"
        << (p.audience ? audience_name(*p.audience) : "-") << "\t" << p.created_ms << "\t"
        << (p.revoked() ? std::to_string(p.revoked_ms) : "-") << "\n";
  }
  return 0;
}

int cmd_broker_files(const Config& c, const std::vector<std::string>& pos, std::ostream& out, std::ostream& err) {
  if (pos.size() != 1) return usage_error(err, "usage: broker-files --broker cloud|site [--site S] --out DIR");
  auto broker = parse_broker(c.str("broker"));
  if (!broker) return failed(err, broker.error());
  if (c.str("out").empty()) return usage_error(err, "broker-files needs --out DIR");
  if (*broker == Broker::kSite && !topics::valid_id(c.str("site"))) {
    return usage_error(err, "--broker site needs --site S");
  }
  auto store = open_store(c);
  if (!store) return failed(err, store.error());
  auto all = (*store)->list();
  if (!all) return failed(err, all.error());
  auto files = *broker == Broker::kCloud ? render_cloud_broker(*all) : render_site_broker(*all, c.str("site"));
  if (!files) return failed(err, files.error());
  if (auto st = write_broker_files(c.str("out"), *files); !st) return failed(err, st.error());
  out << "wrote " << c.str("out") << "/passwords and " << c.str("out") << "/acl (" << files->users
      << " users); SIGHUP the broker to apply\n";
  return 0;
}

}  // namespace

bool is_credentials_command(const std::string& word) {
  return word == "provision" || word == "revoke" || word == "credentials" || word == "broker-files";
}

int run_credentials_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Config config = make_config();
  // --config names the cloud's file: read its store lines only, then the flags.
  std::vector<std::string> rest;
  std::string config_file;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size())
      config_file = args[++i];
    else if (args[i].rfind("--config=", 0) == 0)
      config_file = args[i].substr(9);
    else
      rest.push_back(args[i]);
  }
  if (!config_file.empty()) {
    if (auto st = apply_cloud_config(config, config_file); !st) return failed(err, st.error());
  }
  std::vector<const char*> argv{"tidewire-cloud"};
  for (const auto& a : rest) argv.push_back(a.c_str());
  auto parsed = config.parse(static_cast<int>(argv.size()), argv.data());
  if (!parsed) return usage_error(err, parsed.error().message);
  if (!*parsed) {
    out << config.usage();
    return 0;
  }
  const auto& pos = config.positionals();
  if (pos.empty()) return usage_error(err, "no subcommand");
  if (pos[0] == "provision") return cmd_provision(config, pos, out, err);
  if (pos[0] == "revoke") return cmd_revoke(config, pos, out, err);
  if (pos[0] == "credentials") return cmd_list(config, pos, out, err);
  if (pos[0] == "broker-files") return cmd_broker_files(config, pos, out, err);
  return usage_error(err, "unknown subcommand '" + pos[0] + "'");
}

}  // namespace tidewire::credentials

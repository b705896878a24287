#pragma once
// tidewire-cloud's credential subcommands (cloud/README.md, docs/security.md):
//
//   tidewire-cloud provision device ID --site S --kind poster|rider|encoder|merchant
//   tidewire-cloud provision edge ID --site S
//   tidewire-cloud provision recipient ID [--audience customer|merchant|rider]
//   tidewire-cloud provision cloud ID | gateway ID
//        [--rotate] [--password-file F]      prints the password once (or writes F, 0600)
//   tidewire-cloud revoke KIND ID
//   tidewire-cloud credentials list
//   tidewire-cloud broker-files --broker cloud|site [--site S] --out DIR
//
// The store is the cloud's: --store URL, else the `store` (or `db-path`) line of
// --config FILE (the cloud's own config file; its other lines are ignored here), else
// sqlite:cloud.db, as tidewire-cloud itself would pick.
#include <iosfwd>
#include <string>
#include <vector>

namespace tidewire::credentials {

// True for the first argument of a credential subcommand.
bool is_credentials_command(const std::string& word);
// Runs one; `args` starts with the subcommand word. Returns the process exit code (0 ok,
// 1 failed, 2 bad usage). Normal output goes to `out`, errors to `err`.
int run_credentials_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace tidewire::credentials

#pragma once
// What the tidewire-sim subcommands share.
#include "tidewire/common/config.hpp"

namespace tidewire::sim::cli {

// Parses a subcommand's options (and --log-level); returns -1 to go on, or an exit code
// (0 after --help, 2 for a bad option, with the message on stderr).
int parse(Config& config, int argc, char** argv);

// The option naming a running cloud's API token, for commands that call it.
OptionSpec cloud_token_spec();
// The token from --cloud-token-file, else $TW_CLOUD_TOKEN, else "" (the cloud then
// answers 401, which the command reports); kIo if the file cannot be read.
Expected<std::string> cloud_token(const Config& config);

int cmd_gen_day(int argc, char** argv);
int cmd_dispatch(int argc, char** argv);
int cmd_app(int argc, char** argv);

}  // namespace tidewire::sim::cli

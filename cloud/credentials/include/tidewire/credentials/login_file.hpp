#pragma once
// What a client needs to connect: its user name and password. A login file holds many,
// one "username password" line each (# comments), mode 0600; `tidewire-cloud provision
// --password-file` and the simulator's Stack write them, and the simulator's fleets and
// apps started on their own read them (`tidewire-sim run|app --credentials FILE`).
#include <map>
#include <optional>
#include <string>

#include "tidewire/common/expected.hpp"
#include "tidewire/credentials/principal.hpp"

namespace tidewire::credentials {

struct Login {
  std::string username;
  std::string password;
};

// username -> password
using LoginBook = std::map<std::string, std::string>;

Expected<LoginBook> read_login_file(const std::string& path);
// Written through a temporary file and rename, mode 0600.
Status write_login_file(const std::string& path, const LoginBook& logins);
// The login of (kind, id), if the book has one.
std::optional<Login> find_login(const LoginBook& book, PrincipalKind kind, const std::string& id);

}  // namespace tidewire::credentials

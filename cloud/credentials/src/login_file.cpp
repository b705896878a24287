#include "tidewire/credentials/login_file.hpp"

#include <fstream>
#include <sstream>

#include "tidewire/credentials/broker_files.hpp"

namespace tidewire::credentials {

Expected<LoginBook> read_login_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::kInvalidArgument, "cannot read login file " + path);
  LoginBook book;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string user, password, extra;
    if (!(words >> user)) continue;
    if (!(words >> password) || (words >> extra)) {
      return make_error(ErrorCode::kInvalidArgument,
                        path + ":" + std::to_string(lineno) + ": expected 'username password'");
    }
    book[user] = password;
  }
  return book;
}

Status write_login_file(const std::string& path, const LoginBook& logins) {
  std::string text = "# MQTT logins: username password (secret: keep this file 0600)\n";
  for (const auto& [user, password] : logins) text += user + " " + password + "\n";
  return write_file_atomically(path, text, 0600);
}

std::optional<Login> find_login(const LoginBook& book, PrincipalKind kind, const std::string& id) {
  auto it = book.find(username(kind, id));
  if (it == book.end()) return std::nullopt;
  return Login{it->first, it->second};
}

}  // namespace tidewire::credentials

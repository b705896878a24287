#include "board/offer_desk.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tidewire::firmware::board {
namespace {
std::string errno_text() {
  return std::strerror(errno);
}
}  // namespace

OfferDesk::OfferDesk(std::string path, int64_t reopen_ms) : path_(std::move(path)), reopen_ms_(reopen_ms) {}

OfferDesk::~OfferDesk() {
  drop_client();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(path_.c_str());
  }
}

Status OfferDesk::listen_now() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.empty() || path_.size() >= sizeof(addr.sun_path))
    return make_error(ErrorCode::kInvalidArgument, "offer socket path '" + path_ + "' must be 1-" +
                                                       std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  // A socket file left by a previous run (kill -9) would make bind() fail. Only a socket
  // is removed: a regular file at that path is somebody else's.
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path_.c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorCode::kIo, "offer socket: socket(): " + errno_text());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 4) != 0) {
    std::string why = errno_text();
    ::close(fd);
    return make_error(ErrorCode::kUnavailable,
                      "offer socket " + path_ + ": " + why + " (is the directory there and writable?)");
  }
  listen_fd_ = fd;
  return {};
}

void OfferDesk::drop_client() {
  if (client_fd_ < 0) return;
  ::close(client_fd_);
  client_fd_ = -1;
  in_.clear();
  out_.clear();
  skipping_ = false;
  disconnected_ = true;
}

void OfferDesk::flush() {
  while (client_fd_ >= 0 && !out_.empty()) {
    ssize_t n = ::send(client_fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    drop_client();
  }
}

bool OfferDesk::send(std::string_view line) {
  if (client_fd_ < 0) return false;
  if (out_.size() + line.size() + 1 > kMaxOutBytes) {
    drop_client();
    return false;
  }
  out_.append(line);
  out_.push_back('\n');
  flush();
  return client_fd_ >= 0;
}

Status OfferDesk::poll(std::vector<std::string>& lines, int64_t now_ms) {
  Status result;
  if (listen_fd_ < 0) {
    if (now_ms < next_open_ms_) return {};
    next_open_ms_ = now_ms + reopen_ms_;
    if (auto st = listen_now(); !st) return st;
  }
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) break;
    drop_client();  // the newest UI wins
    client_fd_ = fd;
  }
  flush();
  char buf[4096];
  while (client_fd_ >= 0) {
    ssize_t n = ::recv(client_fd_, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      if (n < 0) result = make_error(ErrorCode::kUnavailable, "offer UI connection: " + errno_text());
      drop_client();
      break;
    }
    if (n < 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      char c = buf[i];
      if (c == '\n') {
        if (!skipping_) {
          if (!in_.empty() && in_.back() == '\r') in_.pop_back();
          lines.push_back(std::move(in_));
        }
        in_.clear();
        skipping_ = false;
      } else if (!skipping_) {
        in_.push_back(c);
        if (in_.size() > kMaxLine) {
          ++overlong_;
          in_.clear();
          skipping_ = true;
        }
      }
    }
  }
  return result;
}

}  // namespace tidewire::firmware::board

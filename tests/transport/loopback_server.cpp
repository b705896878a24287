#include "loopback_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace tidewire::transport::testing {
namespace {

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

bool write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Length of the first complete MQTT packet in `b`, or 0 if it is not complete yet.
size_t complete_packet(const std::string& b) {
  size_t remaining = 0;
  size_t multiplier = 1;
  for (size_t i = 1; i < b.size() && i <= 4; ++i) {
    auto byte = static_cast<unsigned char>(b[i]);
    remaining += (byte & 0x7Fu) * multiplier;
    if ((byte & 0x80u) == 0) {
      size_t total = 1 + i + remaining;
      return b.size() >= total ? total : 0;
    }
    multiplier *= 128;
  }
  return 0;
}

}  // namespace

std::unique_ptr<LoopbackServer> LoopbackServer::proxy_to(int upstream_port) {
  std::unique_ptr<LoopbackServer> s(new LoopbackServer(Mode::kProxy, upstream_port));
  if (!s->listen_on_loopback()) return nullptr;
  s->thread_ = std::thread([p = s.get()] { p->run(); });
  return s;
}

std::unique_ptr<LoopbackServer> LoopbackServer::silent_broker() {
  std::unique_ptr<LoopbackServer> s(new LoopbackServer(Mode::kSilentBroker, 0));
  if (!s->listen_on_loopback()) return nullptr;
  s->thread_ = std::thread([p = s.get()] { p->run(); });
  return s;
}

LoopbackServer::LoopbackServer(Mode mode, int upstream_port) : mode_(mode), upstream_port_(upstream_port) {}

LoopbackServer::~LoopbackServer() {
  stopping_ = true;
  if (wake_w_ >= 0) {
    char b = 's';
    ssize_t n = ::write(wake_w_, &b, 1);
    (void)n;
  }
  if (thread_.joinable()) thread_.join();
  for (auto& c : conns_) close_conn(c);
  for (int fd : {listen_fd_, wake_r_, wake_w_}) {
    if (fd >= 0) ::close(fd);
  }
}

bool LoopbackServer::listen_on_loopback() {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  wake_r_ = pipe_fds[0];
  wake_w_ = pipe_fds[1];
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return false;
  sockaddr_in a = loopback(0);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
  if (::listen(listen_fd_, 64) != 0) return false;
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  return true;
}

void LoopbackServer::cut_all() {
  std::unique_lock lock(mu_);
  uint64_t ticket = ++cut_requested_;
  char b = 'c';
  ssize_t n = ::write(wake_w_, &b, 1);
  (void)n;
  cv_.wait_for(lock, std::chrono::seconds(5), [&] { return cut_done_ >= ticket; });
}

void LoopbackServer::close_conn(Conn& c) {
  for (int* fd : {&c.client_fd, &c.upstream_fd}) {
    if (*fd >= 0) {
      ::shutdown(*fd, SHUT_RDWR);
      ::close(*fd);
      *fd = -1;
    }
  }
}

void LoopbackServer::accept_one() {
  int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  ++accepted_;
  Conn c;
  c.client_fd = fd;
  if (mode_ == Mode::kProxy) {
    c.upstream_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = loopback(upstream_port_);
    if (c.upstream_fd < 0 || ::connect(c.upstream_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close_conn(c);  // broker down: the client sees its connection refused-by-close
      return;
    }
  }
  conns_.push_back(std::move(c));
}

bool LoopbackServer::relay(int from, int to) {
  char buf[16384];
  ssize_t n = ::recv(from, buf, sizeof buf, 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  return write_all(to, buf, static_cast<size_t>(n));
}

bool LoopbackServer::serve_silently(Conn& c) {
  char buf[16384];
  ssize_t n = ::recv(c.client_fd, buf, sizeof buf, 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  if (c.connack_sent) return true;  // publishes, pings: swallowed, never answered
  c.inbox.append(buf, static_cast<size_t>(n));
  if (complete_packet(c.inbox) == 0) return true;
  static const char kConnack[] = {0x20, 0x02, 0x00, 0x00};  // accepted, no session
  c.connack_sent = true;
  c.inbox.clear();
  return write_all(c.client_fd, kConnack, sizeof kConnack);
}

void LoopbackServer::run() {
  std::vector<pollfd> fds;
  while (!stopping_) {
    fds.clear();
    fds.push_back({wake_r_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& c : conns_) {
      fds.push_back({c.client_fd, POLLIN, 0});
      if (c.upstream_fd >= 0) fds.push_back({c.upstream_fd, POLLIN, 0});
    }
    int n = ::poll(fds.data(), fds.size(), 1000);
    if (n < 0) continue;
    if (fds[0].revents) {
      char b[64];
      while (::read(wake_r_, b, sizeof b) > 0) {
      }
      std::lock_guard lock(mu_);
      if (cut_done_ < cut_requested_) {
        for (auto& c : conns_) close_conn(c);
        conns_.clear();
        cut_done_ = cut_requested_;
        cv_.notify_all();
        continue;
      }
    }
    size_t i = 2;
    std::vector<Conn> kept;
    for (auto& c : conns_) {
      bool alive = true;
      short client_ev = fds[i++].revents;
      short upstream_ev = c.upstream_fd >= 0 ? fds[i++].revents : 0;
      if (mode_ == Mode::kProxy) {
        if (client_ev) alive = relay(c.client_fd, c.upstream_fd);
        if (alive && upstream_ev) alive = relay(c.upstream_fd, c.client_fd);
      } else if (client_ev) {
        alive = serve_silently(c);
      }
      if (alive) {
        kept.push_back(std::move(c));
      } else {
        close_conn(c);
      }
    }
    conns_ = std::move(kept);
    if (fds[1].revents) accept_one();
  }
}

}  // namespace tidewire::transport::testing

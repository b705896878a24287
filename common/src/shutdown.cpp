#include "tidewire/common/shutdown.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdint>

namespace tidewire {
namespace {
std::atomic<bool> g_stop{false};
int g_fd = -1;

void on_signal(int) {
  g_stop.store(true);
  uint64_t one = 1;
  if (g_fd >= 0) {
    // write() is async-signal-safe; the result is irrelevant if the counter is already set.
    [[maybe_unused]] auto n = ::write(g_fd, &one, sizeof one);
  }
}
}  // namespace

int install_shutdown_handlers() {
  if (g_fd < 0) {
    g_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
  }
  return g_fd;
}

bool shutdown_requested() { return g_stop.load(); }

void request_shutdown() { on_signal(0); }

void wait_for_shutdown() {
  int fd = install_shutdown_handlers();
  while (!g_stop.load()) {
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, 1000);
  }
}

}  // namespace tidewire

#include "board/line_source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tidewire::firmware::board {

LineSource::LineSource(std::string path, size_t max_line, int64_t reopen_ms)
    : path_(std::move(path)), max_line_(max_line), reopen_ms_(reopen_ms) {}

LineSource::~LineSource() {
  close_fd();
}

void LineSource::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  partial_.clear();
  skipping_ = false;
}

Status LineSource::read(const std::function<void(std::string_view)>& on_line, int64_t now_ms, size_t max_bytes) {
  if (fd_ < 0) {
    if (now_ms < next_open_ms_) return {};
    // O_NONBLOCK: a tty or a FIFO without a writer must not stall the agent's thread.
    fd_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd_ < 0) {
      int err = errno;
      next_open_ms_ = now_ms + reopen_ms_;
      if (reported_open_error_) return {};
      reported_open_error_ = true;
      return make_error(ErrorCode::kIo, "cannot open " + path_ + ": " + std::strerror(err) + " (retrying every " +
                                            std::to_string(reopen_ms_ / 1000) + " s)");
    }
    reported_open_error_ = false;
  }
  char buf[4096];
  size_t total = 0;
  while (total < max_bytes) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        // Device gone (USB GPS unplugged: EIO/ENODEV): reopen later.
        close_fd();
        next_open_ms_ = now_ms + reopen_ms_;
      }
      break;
    }
    if (n == 0) break;  // end of file for now; appended data is read next time
    total += static_cast<size_t>(n);
    for (ssize_t i = 0; i < n; ++i) {
      char c = buf[i];
      if (c == '\n') {
        if (!skipping_) {
          std::string_view line = partial_;
          if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
          on_line(line);
        }
        partial_.clear();
        skipping_ = false;
        continue;
      }
      if (skipping_) continue;
      if (partial_.size() >= max_line_) {
        partial_.clear();
        skipping_ = true;
        ++overlong_;
        continue;
      }
      partial_.push_back(c);
    }
  }
  return {};
}

}  // namespace tidewire::firmware::board

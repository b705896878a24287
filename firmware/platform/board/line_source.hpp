#pragma once
// Lines from a file, tty or FIFO, read without blocking. A regular file is followed like
// `tail -f` (appended lines are picked up on the next read); a path that cannot be opened
// is retried every few seconds, so a GPS plugged in late or an ffmpeg started after the
// agent are found without a restart.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "tidewire/common/expected.hpp"

namespace tidewire::firmware::board {

class LineSource {
 public:
  explicit LineSource(std::string path, size_t max_line = 512, int64_t reopen_ms = 5000);
  ~LineSource();
  LineSource(const LineSource&) = delete;
  LineSource& operator=(const LineSource&) = delete;

  // Reads what is available now (at most max_bytes) and calls on_line for each complete
  // line, without its newline. Lines longer than max_line are skipped and counted.
  // Returns an error only when the path cannot be opened (and was not before).
  Status read(const std::function<void(std::string_view)>& on_line, int64_t now_ms, size_t max_bytes = 64 * 1024);

  const std::string& path() const { return path_; }
  bool is_open() const { return fd_ >= 0; }
  uint64_t overlong_lines() const { return overlong_; }

 private:
  void close_fd();

  std::string path_;
  size_t max_line_;
  int64_t reopen_ms_;
  int fd_ = -1;
  int64_t next_open_ms_ = 0;
  bool reported_open_error_ = false;
  std::string partial_;
  bool skipping_ = false;  // inside an overlong line
  uint64_t overlong_ = 0;
};

}  // namespace tidewire::firmware::board

#pragma once
// The rider terminal's local UI hook: a Unix stream socket the agent listens on. One UI
// process connects; the agent writes one JSON object per line (offers, withdrawals,
// cancellations) and reads one command per line back (`accept OFFER_ID`,
// `decline OFFER_ID`, `picked_up ORDER_ID`, `delivered ORDER_ID`). Everything is
// non-blocking and polled from the HAL's poll(): the agent's thread never waits for the
// UI. A second UI connecting replaces the first (the old one has most likely died).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tidewire/common/expected.hpp"

namespace tidewire::firmware::board {

class OfferDesk {
 public:
  static constexpr size_t kMaxLine = 512;            // from the UI; longer lines are dropped
  static constexpr size_t kMaxOutBytes = 64 * 1024;  // unsent bytes to a slow UI before it is dropped

  explicit OfferDesk(std::string path, int64_t reopen_ms = 5000);
  ~OfferDesk();
  OfferDesk(const OfferDesk&) = delete;
  OfferDesk& operator=(const OfferDesk&) = delete;

  // Listens (creating the socket; a stale socket file is replaced) when not yet, accepts
  // a waiting UI, flushes pending output and appends complete lines from the UI. Returns
  // an error when the socket cannot be created (retried every reopen_ms) or when the UI
  // connection broke; the desk carries on either way.
  Status poll(std::vector<std::string>& lines, int64_t now_ms);
  // Queues one line (a newline is added) for the connected UI; false when none is
  // connected or its backlog is over kMaxOutBytes (then it is disconnected).
  bool send(std::string_view line);

  bool listening() const { return listen_fd_ >= 0; }
  bool connected() const { return client_fd_ >= 0; }
  const std::string& path() const { return path_; }
  uint64_t overlong_lines() const { return overlong_; }
  // True once after a UI disconnected (or was replaced) since the last call.
  bool take_disconnect() {
    bool d = disconnected_;
    disconnected_ = false;
    return d;
  }

 private:
  Status listen_now();
  void drop_client();
  void flush();

  std::string path_;
  int64_t reopen_ms_;
  int listen_fd_ = -1;
  int client_fd_ = -1;
  int64_t next_open_ms_ = 0;
  std::string in_;
  std::string out_;
  bool skipping_ = false;
  bool disconnected_ = false;
  uint64_t overlong_ = 0;
};

}  // namespace tidewire::firmware::board

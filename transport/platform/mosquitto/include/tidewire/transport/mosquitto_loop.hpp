#pragma once
// MosquittoLoop: one thread and one epoll set driving many libmosquitto connections, plus
// the timers and posted tasks those connections need.
//
// Why our own loop and not mosquitto_loop_start(): that costs a thread per connection.
// The simulator runs thousands of device connections in one loop, the agent runs one
// connection on a small board. Everything a MosquittoClient does (socket I/O, keepalive,
// reconnect backoff, every handler) happens on this one thread.
//
//   MosquittoLoop loop;
//   if (auto st = loop.start_thread(); !st) { ... st.error().describe() ... }
//   loop.post([] { /* runs on the loop thread */ });
//   auto id = loop.schedule(500, [] { /* once, in 500 ms */ });
//   loop.cancel(id);
//   loop.stop();  // joins; also done by the destructor
//
// Clients must be destroyed before their loop.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>
#include <vector>

#include "tidewire/common/expected.hpp"
#include "tidewire/common/metrics.hpp"

namespace tidewire::transport {

namespace detail {
// What the loop drives (MosquittoClient's connection). Called on the loop thread only.
class LoopClient {
 public:
  virtual void on_io(uint32_t epoll_events) = 0;  // the watched socket is ready
  virtual void on_misc() = 0;                     // ~once a second: keepalive, timeouts
  virtual void on_flush() = 0;                    // output was queued by some thread

 protected:
  ~LoopClient() = default;
};
}  // namespace detail

class MosquittoLoop {
 public:
  using Task = std::function<void()>;
  using TimerId = uint64_t;

  struct Options {
    // Bound of the post() queue; beyond it post() refuses (and counts) instead of growing.
    size_t max_posted = 1'000'000;
    // How often each connection gets mosquitto_loop_misc (keepalive pings, connect timeout).
    int64_t misc_period_ms = 1000;
    // tw_transport_loop_* metrics; nullptr = not exported.
    MetricsRegistry* metrics = nullptr;
  };

  MosquittoLoop();
  explicit MosquittoLoop(const Options& options);
  ~MosquittoLoop();  // stop() + join
  MosquittoLoop(const MosquittoLoop&) = delete;
  MosquittoLoop& operator=(const MosquittoLoop&) = delete;

  // Runs the loop on the calling thread until stop(). Error if already running or if the
  // epoll/eventfd set-up failed (e.g. out of file descriptors).
  Status run();
  // Runs the loop on a thread of its own.
  Status start_thread();
  // Thread-safe. Asks the loop to return and, unless called on the loop thread, waits
  // until it has (joining the own thread). Tasks already posted still run first.
  void stop();
  bool running() const { return running_.load(std::memory_order_acquire); }
  bool in_loop_thread() const;

  // Thread-safe. Runs `task` on the loop thread. kUnavailable when the queue is full.
  Status post(Task task);
  // Thread-safe. Runs `task` once after delay_ms (or every period_ms) on the loop thread.
  TimerId schedule(int64_t delay_ms, Task task);
  TimerId every(int64_t period_ms, Task task);
  // Thread-safe. True if the timer was still pending. A repeating timer may cancel itself.
  bool cancel(TimerId id);

  // Connections currently registered (any thread; approximate while it changes).
  size_t client_count() const { return client_count_.load(std::memory_order_relaxed); }

  // ---- Connection plumbing for MosquittoClient. Loop thread only unless noted. ----
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  uint32_t attach(detail::LoopClient* client);
  void detach(uint32_t slot);
  // Registers the connection's socket: EPOLLIN always, EPOLLOUT while `want_write`.
  bool watch(uint32_t slot, int fd, bool want_write);
  bool set_write_interest(uint32_t slot, int fd, bool want_write);
  // Only for sockets still open: a socket closed by libmosquitto left the set by itself.
  void unwatch(int fd);
  // Any thread: on_flush() will run soon on the loop thread. The caller de-duplicates.
  void request_flush(std::shared_ptr<detail::LoopClient> client);

 private:
  struct Slot {
    detail::LoopClient* client = nullptr;
    uint32_t generation = 0;
  };
  struct TimerEntry {
    int64_t due_ms;
    TimerId id;
    bool operator>(const TimerEntry& o) const { return due_ms != o.due_ms ? due_ms > o.due_ms : id > o.id; }
  };
  struct Timer {
    Task task;
    int64_t period_ms = 0;  // 0 = one-shot
  };

  void run_loop();
  TimerId add_timer(int64_t delay_ms, int64_t period_ms, Task task);
  int next_timeout_ms();
  void run_due_timers();
  void run_posted();
  void run_flushes();
  void sweep_misc();
  void dispatch(uint64_t token, uint32_t events);
  void wake();
  void drain_wakeups();

  Options options_;
  Status init_status_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;

  std::atomic<bool> running_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> wake_pending_{false};
  std::atomic<std::thread::id> loop_thread_id_{};
  std::thread thread_;
  std::mutex thread_mu_;  // start_thread/stop
  std::mutex exit_mu_;
  std::condition_variable exit_cv_;  // run() has returned

  std::mutex post_mu_;
  std::vector<Task> posted_;
  std::vector<Task> posted_spare_;
  std::vector<std::shared_ptr<detail::LoopClient>> flushes_;
  std::vector<std::shared_ptr<detail::LoopClient>> flushes_spare_;

  std::mutex timer_mu_;
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timer_heap_;
  std::unordered_map<TimerId, Timer> timers_;
  TimerId next_timer_id_ = 1;

  // Loop thread only.
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  size_t misc_cursor_ = 0;
  std::atomic<size_t> client_count_{0};

  Counter* posted_rejected_ = nullptr;
  Counter* wakeups_ = nullptr;
  Gauge* clients_gauge_ = nullptr;
  Gauge* posted_depth_ = nullptr;
};

}  // namespace tidewire::transport

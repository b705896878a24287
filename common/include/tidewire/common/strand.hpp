#pragma once
// A serial executor: tasks posted from any thread (broker callbacks, HTTP handlers) run one
// at a time on the thread that called run(). That one thread owns its state, so the domain
// core needs no locks: the edge's relay (relay.hpp) and the cloud's dispatcher
// (DispatchLoop) each live on one.
//
// Bounded: at most max_tasks data tasks / max_bytes of payload are queued; beyond that
// post() refuses and the caller counts the drop. Refusing a device message is safe (the
// device re-sends until acked), refusing a BatchAck or a command too (batches are re-sent,
// commands re-sent by the cloud). Connection edges and shutdown steps use post_control(),
// which is never refused: there are few of them and losing one would desynchronise state.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

#include "tidewire/common/clock.hpp"

namespace tidewire {

class Strand {
 public:
  using Task = std::function<void()>;

  // max_sleep_ms bounds a sleep of run(), so a clock that jumps is noticed that quickly.
  Strand(size_t max_tasks, size_t max_bytes, int64_t max_sleep_ms = 1000)
      : max_tasks_(max_tasks), max_bytes_(max_bytes), max_sleep_ms_(max_sleep_ms) {}

  // False if the queue is full or the strand stopped.
  bool post(Task task, size_t bytes);
  void post_control(Task task);
  // Runs tasks until stop(). After each burst of tasks, on_idle() runs and returns the
  // steady ms (of `clock`) it next wants to run at; run() sleeps until then or a post.
  void run(const std::function<int64_t()>& on_idle, const Clock& clock);
  // Drops what is queued and makes run() return after the task it is running.
  void stop();
  // Refuses new tasks, and makes run() return once everything queued before has run (a
  // caller waiting on a posted task gets its answer).
  void close();
  size_t depth() const;

 private:
  struct Item {
    Task task;
    size_t bytes;
  };
  const size_t max_tasks_;
  const size_t max_bytes_;
  const int64_t max_sleep_ms_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  size_t data_tasks_ = 0;
  size_t bytes_ = 0;
  bool stopped_ = false;
  bool closed_ = false;  // no new tasks; run() returns when the queue is empty
};

}  // namespace tidewire

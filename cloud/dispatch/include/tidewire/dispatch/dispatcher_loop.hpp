#pragma once
// DispatchLoop: the one thread that owns a Dispatcher, a Strand (common/strand.hpp). Other
// threads (HTTP handlers, the ingest worker) post tasks into its bounded queue; the loop
// runs them in order, and runs the Dispatcher's timers (run_due) in between. A full queue refuses the task (counted in
// tw_dispatch_queue_rejects_total): ingest drops the input (the next status report or the
// offer's expiry covers it), HTTP answers 503.
//
// Metrics: tw_dispatch_queue_depth (gauge), tw_dispatch_queue_rejects_total,
// tw_dispatch_tasks_total.
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "tidewire/common/expected.hpp"
#include "tidewire/common/metrics.hpp"
#include "tidewire/common/strand.hpp"
#include "tidewire/dispatch/dispatcher.hpp"

namespace tidewire::dispatch {

class DispatchLoop {
 public:
  DispatchLoop(Dispatcher& dispatcher, Clock& clock, MetricsRegistry& metrics, size_t max_queue = 10'000);
  ~DispatchLoop();  // stop()
  DispatchLoop(const DispatchLoop&) = delete;
  DispatchLoop& operator=(const DispatchLoop&) = delete;

  void start();
  // Runs the tasks already queued, then stops the thread. Idempotent.
  void stop();

  // Never blocks. False when the queue is full or the loop stopped.
  bool post(std::function<void(Dispatcher&)> task);

  // Runs `f(dispatcher)` on the loop and waits for its Expected result: kUnavailable when
  // the queue is full, kTimeout when the loop did not answer in time.
  template <class F>
  auto call(F f, int64_t timeout_ms) -> decltype(f(std::declval<Dispatcher&>())) {
    using R = decltype(f(std::declval<Dispatcher&>()));
    auto promise = std::make_shared<std::promise<R>>();
    auto future = promise->get_future();
    bool queued = post([promise, f = std::move(f)](Dispatcher& d) mutable { promise->set_value(f(d)); });
    if (!queued) return R(make_error(ErrorCode::kUnavailable, "dispatcher busy (queue full); retry shortly"));
    if (future.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) {
      return R(make_error(ErrorCode::kTimeout, "dispatcher did not answer in time; retry shortly"));
    }
    return future.get();
  }

  size_t queue_depth() const;

 private:
  Dispatcher& dispatcher_;
  Clock& clock_;
  Strand strand_;
  Counter& rejects_;
  Counter& done_;
  Gauge& depth_;
  std::mutex thread_mu_;
  bool started_ = false;
  std::thread thread_;
};

}  // namespace tidewire::dispatch

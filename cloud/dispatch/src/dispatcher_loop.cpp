#include "tidewire/dispatch/dispatcher_loop.hpp"

#include <algorithm>

namespace tidewire::dispatch {
namespace {
// Upper bound on a sleep: a clock that jumps (or is scaled) is noticed this quickly.
constexpr int64_t kMaxSleepMs = 200;
constexpr size_t kUnboundedBytes = SIZE_MAX;  // tasks are bounded by count only
}  // namespace

DispatchLoop::DispatchLoop(Dispatcher& dispatcher, Clock& clock, MetricsRegistry& metrics, size_t max_queue)
    : dispatcher_(dispatcher),
      clock_(clock),
      strand_(std::max<size_t>(1, max_queue), kUnboundedBytes, kMaxSleepMs),
      rejects_(metrics.counter("tw_dispatch_queue_rejects_total", "Tasks refused because the dispatch queue was full")),
      done_(metrics.counter("tw_dispatch_tasks_total", "Tasks run by the dispatch thread")),
      depth_(metrics.gauge("tw_dispatch_queue_depth", "Tasks waiting for the dispatch thread")) {}

DispatchLoop::~DispatchLoop() {
  stop();
}

void DispatchLoop::start() {
  std::lock_guard lock(thread_mu_);
  if (started_) return;
  started_ = true;
  // The Dispatcher's timers are on the wall clock; the Strand sleeps on the steady one.
  thread_ = std::thread([this] {
    strand_.run(
        [this] {
          dispatcher_.run_due();
          depth_.set(static_cast<int64_t>(strand_.depth()));
          return clock_.steady_ms() + (dispatcher_.next_due_ms() - clock_.wall_ms());
        },
        clock_);
  });
}

void DispatchLoop::stop() {
  strand_.close();  // what is queued still runs: callers waiting on call() get their answer
  std::lock_guard lock(thread_mu_);
  started_ = true;  // a loop stopped before it started never starts
  if (thread_.joinable()) thread_.join();
}

bool DispatchLoop::post(std::function<void(Dispatcher&)> task) {
  bool queued = strand_.post(
      [this, task = std::move(task)] {
        task(dispatcher_);
        done_.inc();
      },
      0);
  if (!queued) {
    rejects_.inc();
    return false;
  }
  depth_.set(static_cast<int64_t>(strand_.depth()));
  return true;
}

size_t DispatchLoop::queue_depth() const {
  return strand_.depth();
}

}  // namespace tidewire::dispatch

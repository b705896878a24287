#include "tidewire/dispatch/dispatcher_loop.hpp"

#include <algorithm>

#include "tidewire/common/log.hpp"

namespace tidewire::dispatch {
namespace {
// Upper bound on a sleep: a clock that jumps (or is scaled) is noticed this quickly.
constexpr int64_t kMaxSleepMs = 200;
constexpr size_t kTasksPerPass = 256;  // then timers get their turn
}  // namespace

DispatchLoop::DispatchLoop(Dispatcher& dispatcher, Clock& clock, MetricsRegistry& metrics, size_t max_queue)
    : dispatcher_(dispatcher), clock_(clock), metrics_(metrics), max_queue_(std::max<size_t>(1, max_queue)) {
  metrics_.gauge("tw_dispatch_queue_depth", "Tasks waiting for the dispatch thread");
  metrics_.counter("tw_dispatch_queue_rejects_total", "Tasks refused because the dispatch queue was full");
}

DispatchLoop::~DispatchLoop() {
  stop();
}

void DispatchLoop::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void DispatchLoop::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool DispatchLoop::post(std::function<void(Dispatcher&)> task) {
  size_t depth = 0;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= max_queue_) {
      metrics_.counter("tw_dispatch_queue_rejects_total", "Tasks refused because the dispatch queue was full").inc();
      return false;
    }
    queue_.push_back(std::move(task));
    depth = queue_.size();
  }
  cv_.notify_one();
  metrics_.gauge("tw_dispatch_queue_depth", "Tasks waiting for the dispatch thread").set(static_cast<int64_t>(depth));
  return true;
}

size_t DispatchLoop::queue_depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void DispatchLoop::run() {
  auto& done = metrics_.counter("tw_dispatch_tasks_total", "Tasks run by the dispatch thread");
  auto& depth_gauge = metrics_.gauge("tw_dispatch_queue_depth", "Tasks waiting for the dispatch thread");
  while (true) {
    std::deque<std::function<void(Dispatcher&)>> batch;
    {
      std::unique_lock lock(mu_);
      int64_t wait_ms = std::clamp<int64_t>(clock_.real_ms(dispatcher_.next_due_ms() - clock_.wall_ms()), 0, kMaxSleepMs);
      cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return stopping_ || !queue_.empty(); });
      size_t n = std::min(queue_.size(), kTasksPerPass);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      depth_gauge.set(static_cast<int64_t>(queue_.size()));
      if (stopping_ && batch.empty()) return;
    }
    for (auto& task : batch) {
      task(dispatcher_);
      done.inc();
    }
    dispatcher_.run_due();
  }
}

}  // namespace tidewire::dispatch

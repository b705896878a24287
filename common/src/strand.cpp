#include "tidewire/common/strand.hpp"

#include <algorithm>
#include <chrono>

namespace tidewire {
namespace {
// Tasks run between two on_idle() calls, so timers (group commit, batch delay) are
// looked at even while the queue never empties.
constexpr size_t kBurst = 256;
constexpr size_t kControl = SIZE_MAX;  // marks control items (not counted against bounds)
}  // namespace

bool Strand::post(Task task, size_t bytes) {
  {
    std::lock_guard lock(mu_);
    if (stopped_ || closed_ || data_tasks_ >= max_tasks_ || bytes_ + bytes > max_bytes_) return false;
    queue_.push_back({std::move(task), bytes});
    data_tasks_++;
    bytes_ += bytes;
  }
  cv_.notify_one();
  return true;
}

void Strand::post_control(Task task) {
  {
    std::lock_guard lock(mu_);
    if (stopped_ || closed_) return;
    queue_.push_back({std::move(task), kControl});
  }
  cv_.notify_one();
}

void Strand::run(const std::function<int64_t()>& on_idle, const Clock& clock) {
  std::deque<Item> burst;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopped_ || (closed_ && queue_.empty())) return;
      size_t n = std::min(kBurst, queue_.size());
      for (size_t i = 0; i < n; ++i) {
        Item item = std::move(queue_.front());
        queue_.pop_front();
        if (item.bytes != kControl) {
          data_tasks_--;
          bytes_ -= item.bytes;
        }
        burst.push_back(std::move(item));
      }
    }
    for (auto& item : burst) item.task();
    burst.clear();
    int64_t wake = on_idle();
    std::unique_lock lock(mu_);
    if (stopped_ || closed_) continue;  // the top of the loop runs what is left, then returns
    if (!queue_.empty()) continue;
    int64_t sleep_ms = std::clamp<int64_t>(clock.real_ms(wake - clock.steady_ms()), 0, max_sleep_ms_);
    if (sleep_ms > 0) {
      cv_.wait_for(lock, std::chrono::milliseconds(sleep_ms),
                   [this] { return stopped_ || closed_ || !queue_.empty(); });
    }
  }
}

void Strand::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

void Strand::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    queue_.clear();
    data_tasks_ = 0;
    bytes_ = 0;
  }
  cv_.notify_all();
}

size_t Strand::depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace tidewire

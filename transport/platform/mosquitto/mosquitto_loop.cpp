#include "tidewire/transport/mosquitto_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "tidewire/common/log.hpp"

namespace tidewire::transport {
namespace {

constexpr uint64_t kWakeToken = UINT64_MAX;
constexpr int kMaxEvents = 256;
// The misc sweep visits a quarter of the connections per tick, so a fleet's keepalive
// work is spread over the period instead of arriving as one burst.
constexpr int64_t kMiscTicksPerPeriod = 4;

int64_t steady_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

uint64_t token_of(uint32_t slot, uint32_t generation) { return (uint64_t{generation} << 32) | slot; }

}  // namespace

MosquittoLoop::MosquittoLoop() : MosquittoLoop(Options{}) {}

MosquittoLoop::MosquittoLoop(const Options& options) : options_(options) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    init_status_ = make_error(ErrorCode::kIo, std::string("epoll_create1: ") + std::strerror(errno) +
                                                  " (raise the open-files limit: ulimit -n)");
    return;
  }
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    init_status_ = make_error(ErrorCode::kIo, std::string("eventfd: ") + std::strerror(errno));
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeToken;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    init_status_ = make_error(ErrorCode::kIo, std::string("epoll_ctl(eventfd): ") + std::strerror(errno));
    return;
  }
  if (options_.metrics) {
    auto& m = *options_.metrics;
    posted_rejected_ = &m.counter("tw_transport_loop_posted_rejected_total",
                                  "Tasks refused because the loop's post queue was full");
    wakeups_ = &m.counter("tw_transport_loop_wakeups_total", "Cross-thread wake-ups of the MQTT loop");
    clients_gauge_ = &m.gauge("tw_transport_loop_clients", "MQTT connections driven by the loop");
    posted_depth_ = &m.gauge("tw_transport_loop_posted_depth", "Tasks waiting in the loop's post queue");
  }
  int64_t tick = std::max<int64_t>(1, options_.misc_period_ms / kMiscTicksPerPeriod);
  every(tick, [this] { sweep_misc(); });
}

MosquittoLoop::~MosquittoLoop() {
  stop();
  if (client_count() != 0) {
    TW_ERROR("mqtt-loop", "destroyed with " << client_count() << " clients still attached (destroy clients first)");
  }
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

bool MosquittoLoop::in_loop_thread() const {
  return loop_thread_id_.load(std::memory_order_acquire) == std::this_thread::get_id();
}

Status MosquittoLoop::run() {
  if (!init_status_) return init_status_.error().with_context("mqtt loop");
  bool expected = false;
  if (!running_.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
    return make_error(ErrorCode::kInvalidArgument, "mqtt loop is already running");
  }
  stop_requested_.store(false, std::memory_order_release);  // a stale stop() of an earlier run
  run_loop();
  return {};
}

Status MosquittoLoop::start_thread() {
  if (!init_status_) return init_status_.error().with_context("mqtt loop");
  std::lock_guard lock(thread_mu_);
  bool expected = false;
  // Marked running before the thread starts, so a client created right after this call
  // already sees a live loop.
  if (!running_.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
    return make_error(ErrorCode::kInvalidArgument, "mqtt loop is already running");
  }
  if (thread_.joinable()) thread_.join();  // an earlier run that stopped itself
  stop_requested_.store(false, std::memory_order_release);
  thread_ = std::thread([this] { run_loop(); });
  return {};
}

void MosquittoLoop::run_loop() {
  loop_thread_id_.store(std::this_thread::get_id(), std::memory_order_release);
  epoll_event events[kMaxEvents];
  while (!stop_requested_.load(std::memory_order_acquire)) {
    int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, next_timeout_ms());
    if (n < 0) {
      if (errno == EINTR) continue;
      TW_ERROR("mqtt-loop", "epoll_wait failed: " << std::strerror(errno) << "; loop stops");
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == kWakeToken) {
        drain_wakeups();
      } else {
        dispatch(events[i].data.u64, events[i].events);
      }
    }
    run_due_timers();
    run_posted();
    run_flushes();
  }
  // Tasks posted before stop() still run: client teardown relies on it.
  run_posted();
  run_flushes();
  loop_thread_id_.store(std::thread::id{}, std::memory_order_release);
  {
    std::lock_guard lock(exit_mu_);
    running_.store(false, std::memory_order_release);
  }
  exit_cv_.notify_all();
}

void MosquittoLoop::stop() {
  if (running()) {
    stop_requested_.store(true, std::memory_order_release);
    wake();
  }
  if (in_loop_thread()) return;
  {
    std::lock_guard lock(thread_mu_);
    if (thread_.joinable()) thread_.join();
  }
  // Someone else's thread may be inside run(): wait until it has left.
  std::unique_lock lock(exit_mu_);
  exit_cv_.wait(lock, [this] { return !running(); });
}

Status MosquittoLoop::post(Task task) {
  {
    std::lock_guard lock(post_mu_);
    if (posted_.size() >= options_.max_posted) {
      if (posted_rejected_) posted_rejected_->inc();
      return make_error(ErrorCode::kUnavailable, "mqtt loop queue full (" + std::to_string(options_.max_posted) + " tasks)");
    }
    posted_.push_back(std::move(task));
    if (posted_depth_) posted_depth_->set(static_cast<int64_t>(posted_.size()));
  }
  wake();
  return {};
}

void MosquittoLoop::request_flush(std::shared_ptr<detail::LoopClient> client) {
  {
    std::lock_guard lock(post_mu_);
    flushes_.push_back(std::move(client));
  }
  wake();
}

MosquittoLoop::TimerId MosquittoLoop::schedule(int64_t delay_ms, Task task) {
  return add_timer(std::max<int64_t>(0, delay_ms), 0, std::move(task));
}

MosquittoLoop::TimerId MosquittoLoop::every(int64_t period_ms, Task task) {
  period_ms = std::max<int64_t>(1, period_ms);
  return add_timer(period_ms, period_ms, std::move(task));
}

MosquittoLoop::TimerId MosquittoLoop::add_timer(int64_t delay_ms, int64_t period_ms, Task task) {
  TimerId id;
  bool earliest;
  {
    std::lock_guard lock(timer_mu_);
    id = next_timer_id_++;
    int64_t due = steady_now_ms() + delay_ms;
    earliest = timer_heap_.empty() || due < timer_heap_.top().due_ms;
    timers_.emplace(id, Timer{std::move(task), period_ms});
    timer_heap_.push({due, id});
  }
  // The loop may be sleeping until a later deadline.
  if (earliest && !in_loop_thread()) wake();
  return id;
}

bool MosquittoLoop::cancel(TimerId id) {
  std::lock_guard lock(timer_mu_);
  // The heap entry stays and is skipped when it comes due.
  return timers_.erase(id) > 0;
}

int MosquittoLoop::next_timeout_ms() {
  {
    std::lock_guard lock(post_mu_);
    if (!posted_.empty() || !flushes_.empty()) return 0;
  }
  std::lock_guard lock(timer_mu_);
  if (timer_heap_.empty()) return -1;
  int64_t wait = timer_heap_.top().due_ms - steady_now_ms();
  return static_cast<int>(std::clamp<int64_t>(wait, 0, 60'000));
}

void MosquittoLoop::run_due_timers() {
  int64_t now = steady_now_ms();
  while (true) {
    Task task;
    TimerEntry entry{};
    int64_t period = 0;
    {
      std::lock_guard lock(timer_mu_);
      if (timer_heap_.empty() || timer_heap_.top().due_ms > now) return;
      entry = timer_heap_.top();
      timer_heap_.pop();
      auto it = timers_.find(entry.id);
      if (it == timers_.end()) continue;  // cancelled
      period = it->second.period_ms;
      // Moved out so the task may cancel (and so destroy) its own entry while running.
      task = std::move(it->second.task);
      if (period == 0) timers_.erase(it);
    }
    task();
    if (period > 0) {
      std::lock_guard lock(timer_mu_);
      auto it = timers_.find(entry.id);
      if (it != timers_.end()) {
        it->second.task = std::move(task);
        // Next due from the schedule, not from now, so periods do not drift; but never
        // in the past, so a stalled loop does not fire a burst of catch-up ticks.
        timer_heap_.push({std::max(entry.due_ms + period, now + 1), entry.id});
      }
    }
  }
}

void MosquittoLoop::run_posted() {
  {
    std::lock_guard lock(post_mu_);
    if (posted_.empty()) return;
    posted_spare_.swap(posted_);
    if (posted_depth_) posted_depth_->set(0);
  }
  for (auto& task : posted_spare_) task();
  posted_spare_.clear();  // keeps the capacity: no allocation per batch
}

void MosquittoLoop::run_flushes() {
  {
    std::lock_guard lock(post_mu_);
    if (flushes_.empty()) return;
    flushes_spare_.swap(flushes_);
  }
  for (auto& client : flushes_spare_) client->on_flush();
  flushes_spare_.clear();
}

void MosquittoLoop::wake() {
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  if (wakeups_) wakeups_->inc();
  uint64_t one = 1;
  ssize_t n = ::write(wake_fd_, &one, sizeof one);
  (void)n;  // EAGAIN means the counter is already non-zero: the loop wakes anyway
}

void MosquittoLoop::drain_wakeups() {
  uint64_t value = 0;
  ssize_t n = ::read(wake_fd_, &value, sizeof value);
  (void)n;
  // Cleared before the queues are drained (later in this iteration), so a producer that
  // pushes after the drain sees false and wakes us again.
  wake_pending_.store(false, std::memory_order_release);
}

uint32_t MosquittoLoop::attach(detail::LoopClient* client) {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.push_back({});
  }
  slots_[slot].client = client;
  client_count_.fetch_add(1, std::memory_order_relaxed);
  if (clients_gauge_) clients_gauge_->add(1);
  return slot;
}

void MosquittoLoop::detach(uint32_t slot) {
  if (slot >= slots_.size() || slots_[slot].client == nullptr) return;
  slots_[slot].client = nullptr;
  // A new generation makes events still queued for the old owner fall on the floor.
  ++slots_[slot].generation;
  free_slots_.push_back(slot);
  client_count_.fetch_sub(1, std::memory_order_relaxed);
  if (clients_gauge_) clients_gauge_->add(-1);
}

bool MosquittoLoop::watch(uint32_t slot, int fd, bool want_write) {
  epoll_event ev{};
  ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
  ev.data.u64 = token_of(slot, slots_[slot].generation);
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0) return true;
  TW_WARN("mqtt-loop", "epoll_ctl(ADD, fd " << fd << "): " << std::strerror(errno));
  return false;
}

bool MosquittoLoop::set_write_interest(uint32_t slot, int fd, bool want_write) {
  epoll_event ev{};
  ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
  ev.data.u64 = token_of(slot, slots_[slot].generation);
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void MosquittoLoop::unwatch(int fd) { ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

void MosquittoLoop::dispatch(uint64_t token, uint32_t events) {
  auto slot = static_cast<uint32_t>(token & 0xFFFFFFFFu);
  auto generation = static_cast<uint32_t>(token >> 32);
  if (slot >= slots_.size()) return;
  const Slot& s = slots_[slot];
  // A client detached earlier in this batch leaves a stale event behind: ignore it.
  if (s.client == nullptr || s.generation != generation) return;
  s.client->on_io(events);
}

void MosquittoLoop::sweep_misc() {
  if (slots_.empty()) return;
  size_t count = (slots_.size() + kMiscTicksPerPeriod - 1) / kMiscTicksPerPeriod;
  for (size_t i = 0; i < count && !slots_.empty(); ++i) {
    if (misc_cursor_ >= slots_.size()) misc_cursor_ = 0;
    detail::LoopClient* client = slots_[misc_cursor_++].client;
    if (client) client->on_misc();
  }
}

}  // namespace tidewire::transport

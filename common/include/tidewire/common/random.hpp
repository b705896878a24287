#pragma once
// Randomness is injected like time, so jitter and simulated fleets are reproducible.
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>

namespace tidewire {

class Random {
 public:
  virtual ~Random() = default;
  // Uniform integer in [lo, hi].
  virtual uint64_t uniform(uint64_t lo, uint64_t hi) = 0;
  // Uniform real in [0, 1).
  virtual double unit() = 0;
};
using RandomPtr = std::shared_ptr<Random>;

class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}
  uint64_t uniform(uint64_t lo, uint64_t hi) override {
    std::lock_guard lock(mu_);
    return std::uniform_int_distribution<uint64_t>(lo, hi)(engine_);
  }
  double unit() override {
    std::lock_guard lock(mu_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine_);
  }

 private:
  std::mutex mu_;
  std::mt19937_64 engine_;
};

// Seeds from the OS for production use.
RandomPtr make_os_seeded_random();

}  // namespace tidewire

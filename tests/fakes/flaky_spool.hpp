#pragma once
// A Spool around a real one that injects I/O errors into appends or removes on demand.
#include <cstdint>
#include <vector>

#include "tidewire/edge/spool.hpp"

namespace tidewire::edge::testing {

// A Spool that can be told to fail, around the real one.
class FlakySpool final : public Spool {
 public:
  explicit FlakySpool(Spool& inner) : inner_(inner) {}
  bool fail_appends = false;
  bool fail_removes = false;

  Expected<AppendResult> append(const SpoolWrite& w) override {
    if (fail_appends) return make_error(ErrorCode::kIo, "disk I/O error (injected)");
    return inner_.append(w);
  }
  Expected<std::vector<SpoolRow>> read_after(int64_t after, size_t rows, size_t bytes) override {
    return inner_.read_after(after, rows, bytes);
  }
  Expected<uint64_t> remove(const std::vector<int64_t>& ids) override {
    if (fail_removes) return make_error(ErrorCode::kIo, "disk I/O error (injected)");
    return inner_.remove(ids);
  }
  Expected<DropCounts> expire(int64_t cutoff) override { return inner_.expire(cutoff); }
  Expected<std::vector<CursorRecord>> load_cursors() override { return inner_.load_cursors(); }
  Expected<std::vector<topics::DeviceAddress>> load_devices() override { return inner_.load_devices(); }
  SpoolStats stats() const override { return inner_.stats(); }

 private:
  Spool& inner_;
};

}  // namespace tidewire::edge::testing

#include "tidewire/edge/device_cursors.hpp"

namespace tidewire::edge {

void DeviceCursors::load(std::vector<CursorRecord> records) {
  cursors_.clear();
  undo_.clear();
  for (auto& r : records) {
    advance(r.state);
    cursors_[std::move(r.key)] = std::move(r.state);
  }
}

void DeviceCursors::begin_group() { undo_.clear(); }

void DeviceCursors::advance(CursorState& c) {
  while (!c.above.empty() && *c.above.begin() <= c.watermark + 1) {
    c.watermark = std::max(c.watermark, *c.above.begin());
    c.above.erase(c.above.begin());
  }
}

DeviceCursors::Verdict DeviceCursors::observe(const CursorKey& key, uint64_t seq, uint64_t floor, int64_t now_ms) {
  auto it = cursors_.find(key);
  if (!undo_.count(key)) {
    undo_[key] = it == cursors_.end() ? std::pair<bool, CursorState>{false, {}} : std::pair{true, it->second};
  }
  if (it == cursors_.end()) it = cursors_.emplace(key, CursorState{}).first;
  CursorState& c = it->second;
  c.updated_ms = now_ms;

  // Everything below the floor was acked or given up by the device: nothing to wait for.
  if (floor > 0 && floor - 1 > c.watermark) {
    c.watermark = floor - 1;
    c.above.erase(c.above.begin(), c.above.upper_bound(c.watermark));
  }
  advance(c);
  if (seq <= c.watermark || c.above.count(seq)) return Verdict::kDuplicate;
  // The next contiguous seq always fits: it shrinks the set instead of growing it.
  if (seq != c.watermark + 1 && c.above.size() >= max_above_) return Verdict::kOverflow;
  c.above.insert(seq);
  advance(c);
  return Verdict::kNew;
}

std::vector<CursorRecord> DeviceCursors::dirty() const {
  std::vector<CursorRecord> out;
  out.reserve(undo_.size());
  for (const auto& [key, before] : undo_) {
    auto it = cursors_.find(key);
    if (it != cursors_.end()) out.push_back({key, it->second});
  }
  return out;
}

void DeviceCursors::commit_group() { undo_.clear(); }

void DeviceCursors::rollback_group() {
  for (auto& [key, before] : undo_) {
    if (before.first) cursors_[key] = std::move(before.second);
    else cursors_.erase(key);
  }
  undo_.clear();
}

uint64_t DeviceCursors::watermark(const CursorKey& key) const {
  auto it = cursors_.find(key);
  return it == cursors_.end() ? 0 : it->second.watermark;
}

size_t DeviceCursors::prune(int64_t cutoff_ms) {
  size_t n = 0;
  for (auto it = cursors_.begin(); it != cursors_.end();) {
    if (it->second.updated_ms < cutoff_ms && !undo_.count(it->first)) {
      it = cursors_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

}  // namespace tidewire::edge

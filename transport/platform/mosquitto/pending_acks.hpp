#pragma once
// QoS1 publishes waiting for their PUBACK, keyed by MQTT packet id (1..65535).
//
// Why not std::unordered_map: a node allocation per publish on the hot path, and the
// simulator keeps thousands of these tables (one per device connection). This is an
// open-addressing table with linear probing and backward-shift deletion: it grows with
// the window actually used (8 slots for an idle device) and then never allocates again.
// Packet ids are handed out sequentially, so `mid & mask` spreads them evenly.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace tidewire::transport {

template <typename Done>
class PendingAcks {
 public:
  // Returns false (and leaves the table unchanged) for an id that is already pending or
  // out of range: a reused id would mean the broker's ack could not be attributed.
  bool insert(int mid, Done done) {
    if (mid <= 0 || mid > 0xFFFF) return false;
    if ((size_ + 1) * 2 > slots_.size()) grow();
    size_t i = home(mid);
    while (slots_[i].mid != 0) {
      if (slots_[i].mid == mid) return false;
      i = (i + 1) & mask();
    }
    slots_[i].mid = mid;
    slots_[i].done = std::move(done);
    ++size_;
    return true;
  }

  // Removes `mid`; true if it was pending, with its callback moved into `out`.
  bool take(int mid, Done& out) {
    if (size_ == 0 || mid <= 0) return false;
    size_t i = home(mid);
    while (slots_[i].mid != 0) {
      if (slots_[i].mid == mid) {
        out = std::move(slots_[i].done);
        erase_at(i);
        return true;
      }
      i = (i + 1) & mask();
    }
    return false;
  }

  // Empties the table, appending every pending callback to `out` (connection lost).
  void take_all(std::vector<Done>& out) {
    for (auto& s : slots_) {
      if (s.mid == 0) continue;
      out.push_back(std::move(s.done));
      s.done = Done();
      s.mid = 0;
    }
    size_ = 0;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct Slot {
    int mid = 0;  // 0 = free; MQTT packet ids are never 0
    Done done;
  };

  size_t mask() const { return slots_.size() - 1; }
  size_t home(int mid) const { return static_cast<size_t>(mid) & mask(); }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_ = std::vector<Slot>(old.empty() ? 8 : old.size() * 2);
    size_ = 0;
    for (auto& s : old) {
      if (s.mid != 0) insert(s.mid, std::move(s.done));
    }
  }

  // Backward-shift deletion keeps every probe chain unbroken without tombstones.
  void erase_at(size_t hole) {
    size_t j = hole;
    while (true) {
      j = (j + 1) & mask();
      if (slots_[j].mid == 0) break;
      size_t k = home(slots_[j].mid);
      // Entry j may fill the hole only if its home is not cyclically in (hole, j].
      bool home_between = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
      if (!home_between) {
        slots_[hole] = std::move(slots_[j]);
        hole = j;
      }
    }
    slots_[hole].mid = 0;
    slots_[hole].done = Done();
    --size_;
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace tidewire::transport

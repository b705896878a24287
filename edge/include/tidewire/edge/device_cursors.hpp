#pragma once
// Per (device, boot) delivery cursor: the watermark the edge acks, and the seqs spooled
// above it. See docs/protocol.md "Device -> edge": the watermark is the highest seq such
// that every seq at or below it is spooled or below an outbox floor the device reported.
//
// Keyed by boot as well as device so a device whose persistent counter was lost (new
// storage, seq restarting at 1) is not mistaken for a stream of duplicates. A device whose
// counter survives the reboot starts its new boot's cursor at the first outbox floor it
// reports, so the gap below costs nothing.
//
// Changes are made in groups that the relay commits to the spool in one transaction:
// begin_group() .. observe()* .. then commit_group() if the spool write succeeded or
// rollback_group() if it did not, so memory never claims more than the disk holds.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tidewire::edge {

struct CursorKey {
  std::string device;
  std::string boot;
  auto operator<=>(const CursorKey&) const = default;
};

struct CursorState {
  uint64_t watermark = 0;
  std::set<uint64_t> above;  // spooled seqs > watermark, not yet contiguous
  int64_t updated_ms = 0;    // wall ms of the last change (for pruning idle cursors)
};

struct CursorRecord {
  CursorKey key;
  CursorState state;
};

class DeviceCursors {
 public:
  enum class Verdict {
    kNew,        // spool it
    kDuplicate,  // already spooled or covered by the watermark: re-ack, do not spool
    kOverflow,   // too many seqs pending above a gap: refuse for now (the device re-sends)
  };

  explicit DeviceCursors(size_t max_above = 65'536) : max_above_(max_above) {}

  // Replaces all state with what the spool persisted (startup).
  void load(std::vector<CursorRecord> records);

  void begin_group();
  // floor = the event's outbox_floor_seq (0 when the message carries none).
  Verdict observe(const CursorKey& key, uint64_t seq, uint64_t floor, int64_t now_ms);
  // Cursors changed since begin_group(), for the spool write.
  std::vector<CursorRecord> dirty() const;
  void commit_group();
  void rollback_group();

  uint64_t watermark(const CursorKey& key) const;
  size_t size() const { return cursors_.size(); }
  // Forgets cursors idle since before cutoff_ms; returns how many. A later re-send for a
  // forgotten boot is spooled again and absorbed as a duplicate by the cloud.
  size_t prune(int64_t cutoff_ms);

 private:
  static void advance(CursorState& c);

  size_t max_above_;
  std::map<CursorKey, CursorState> cursors_;
  // State of each key as it was at begin_group(); absent optional = key did not exist.
  std::map<CursorKey, std::pair<bool, CursorState>> undo_;
};

}  // namespace tidewire::edge

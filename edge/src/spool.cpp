#include "tidewire/edge/spool.hpp"

namespace tidewire::edge {

const char* row_kind_name(RowKind kind) {
  switch (kind) {
    case RowKind::kEvent: return "event";
    case RowKind::kResult: return "result";
    case RowKind::kPresence: return "presence";
    case RowKind::kStatus: return "status";
  }
  return "unknown";
}

const char* drop_rank_name(DropRank rank) {
  switch (rank) {
    case DropRank::kLow: return "low";
    case DropRank::kNormal: return "normal";
    case DropRank::kHigh: return "high";
  }
  return "unknown";
}

}  // namespace tidewire::edge

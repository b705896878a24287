// RiderIndex: membership and position updates. Queries are in rider_query.cpp.
#include "tidewire/dispatch/rider_index.hpp"

#include <algorithm>
#include <cmath>

#include "cell_grid.hpp"
#include "haversine_term.hpp"

namespace tidewire::dispatch {

namespace {

constexpr double kMinCellM = 50.0;
constexpr double kMaxCellM = 100'000.0;
constexpr size_t kMaxRidersCap = size_t{1} << 31;  // slots are uint32

RiderIndexOptions clamped(RiderIndexOptions o) {
  const RiderIndexOptions defaults;
  o.cell_size_m = std::isfinite(o.cell_size_m) ? std::clamp(o.cell_size_m, kMinCellM, kMaxCellM) : defaults.cell_size_m;
  o.max_radius_m = o.max_radius_m > 0 ? std::min(o.max_radius_m, kMaxDistanceM) : defaults.max_radius_m;
  o.max_riders = std::clamp<size_t>(o.max_riders, 1, kMaxRidersCap);
  return o;
}

}  // namespace

Status validate(const RiderIndexOptions& o) {
  if (!(o.cell_size_m >= kMinCellM && o.cell_size_m <= kMaxCellM)) {
    return make_error(ErrorCode::kInvalidArgument, "rider index cell size " + std::to_string(o.cell_size_m) +
                                                       " m must be between 50 and 100000 (default 500)");
  }
  if (!(o.max_radius_m > 0 && o.max_radius_m <= kMaxDistanceM)) {
    return make_error(ErrorCode::kInvalidArgument, "rider search radius " + std::to_string(o.max_radius_m) +
                                                       " m must be above 0 and at most 20015086 (default 50000)");
  }
  if (o.max_riders < 1 || o.max_riders > kMaxRidersCap) {
    return make_error(ErrorCode::kInvalidArgument,
                      "max riders " + std::to_string(o.max_riders) + " must be between 1 and 2147483648");
  }
  return {};
}

size_t RiderIndex::CellHash::operator()(uint64_t key) const noexcept {
  // splitmix64 finaliser: neighbouring cells differ in low bits only, which std::hash
  // (identity) would map to neighbouring buckets.
  key ^= key >> 30;
  key *= 0xbf58476d1ce4e5b9ULL;
  key ^= key >> 27;
  key *= 0x94d049bb133111ebULL;
  key ^= key >> 31;
  return static_cast<size_t>(key);
}

RiderIndex::RiderIndex(RiderIndexOptions options)
    : options_(clamped(options)), grid_(std::make_unique<detail::CellGrid>(options_.cell_size_m)) {}

RiderIndex::~RiderIndex() = default;
RiderIndex::RiderIndex(RiderIndex&&) noexcept = default;
RiderIndex& RiderIndex::operator=(RiderIndex&&) noexcept = default;

std::optional<uint32_t> RiderIndex::slot_of(std::string_view id) const {
  const auto it = slots_.find(id);
  if (it == slots_.end()) return std::nullopt;
  return it->second;
}

void RiderIndex::enter_cell(uint32_t slot) {
  Rider& r = riders_[slot];
  auto& members = cells_[r.cell];
  r.index_in_cell = static_cast<uint32_t>(members.size());
  members.push_back(slot);
  r.available = true;
  ++available_count_;
}

void RiderIndex::leave_cell(uint32_t slot) {
  Rider& r = riders_[slot];
  const auto it = cells_.find(r.cell);
  auto& members = it->second;
  const uint32_t last = members.back();
  members[r.index_in_cell] = last;
  riders_[last].index_in_cell = r.index_in_cell;
  members.pop_back();
  // Empty cells are dropped so memory follows where riders are, not where they have been.
  if (members.empty()) cells_.erase(it);
  r.available = false;
  --available_count_;
}

void RiderIndex::release(uint32_t slot) {
  if (riders_[slot].available) leave_cell(slot);
  slots_.erase(slots_.find(*id_of_slot_[slot]));
  id_of_slot_[slot] = nullptr;
  riders_[slot].live = false;
  free_slots_.push_back(slot);
  ++stats_.removed;
}

Status RiderIndex::upsert(std::string_view id, const LatLon& position, bool available, int64_t reported_ms) {
  if (id.empty() || id.size() > kMaxRiderIdBytes) {
    ++stats_.rejected_invalid;
    return make_error(ErrorCode::kInvalidArgument,
                      "rider id must be 1 to 128 bytes, got " + std::to_string(id.size()) + " bytes");
  }
  if (Status valid = validate(position); !valid) {
    ++stats_.rejected_invalid;
    return valid.error().with_context("rider " + std::string(id));
  }

  uint32_t slot;
  if (const auto existing = slot_of(id)) {
    slot = *existing;
    if (reported_ms < riders_[slot].reported_ms) {
      ++stats_.reports_out_of_order;
      return {};
    }
  } else {
    if (size() >= options_.max_riders) {
      ++stats_.rejected_full;
      return make_error(ErrorCode::kTooLarge, "rider index is full (" + std::to_string(options_.max_riders) +
                                                  " riders); new rider " + std::string(id) +
                                                  " refused: raise the rider limit or remove stale riders");
    }
    if (free_slots_.empty()) {
      slot = static_cast<uint32_t>(riders_.size());
      riders_.emplace_back();
      id_of_slot_.push_back(nullptr);
    } else {
      slot = free_slots_.back();
      free_slots_.pop_back();
    }
    const auto inserted = slots_.emplace(std::string(id), slot).first;
    id_of_slot_[slot] = &inserted->first;
    riders_[slot] = Rider{};
    riders_[slot].live = true;
  }

  const uint64_t cell = grid_->key_of(position);
  Rider& r = riders_[slot];
  const bool moved = r.available && available && cell != r.cell;
  if (r.available && (!available || cell != r.cell)) leave_cell(slot);
  r.position = position;
  r.lat_rad = position.lat * detail::kRadPerDeg;
  r.cos_lat = std::cos(r.lat_rad);
  r.reported_ms = reported_ms;
  r.cell = cell;
  if (available && !r.available) enter_cell(slot);
  if (moved) ++stats_.cell_moves;
  ++stats_.reports_applied;
  return {};
}

Status RiderIndex::remove(std::string_view id) {
  const auto slot = slot_of(id);
  if (!slot) return make_error(ErrorCode::kNotFound, "rider " + std::string(id) + " is not in the index");
  release(*slot);
  return {};
}

Status RiderIndex::set_available(std::string_view id, bool available) {
  const auto slot = slot_of(id);
  if (!slot) return make_error(ErrorCode::kNotFound, "rider " + std::string(id) + " is not in the index");
  if (available && !riders_[*slot].available) enter_cell(*slot);
  if (!available && riders_[*slot].available) leave_cell(*slot);
  return {};
}

Status RiderIndex::set_load(std::string_view id, int32_t load) {
  const auto slot = slot_of(id);
  if (!slot) return make_error(ErrorCode::kNotFound, "rider " + std::string(id) + " is not in the index");
  riders_[*slot].load = load;
  return {};
}

size_t RiderIndex::remove_stale(int64_t reported_before_ms) {
  size_t n = 0;
  for (uint32_t slot = 0; slot < riders_.size(); ++slot) {
    if (riders_[slot].live && riders_[slot].reported_ms < reported_before_ms) {
      release(slot);
      ++n;
    }
  }
  return n;
}

std::optional<RiderState> RiderIndex::find(std::string_view id) const {
  const auto slot = slot_of(id);
  if (!slot) return std::nullopt;
  const Rider& r = riders_[*slot];
  return RiderState{r.position, r.available, r.reported_ms, r.load};
}

size_t RiderIndex::approx_memory_bytes() const {
  // Node sizes follow libstdc++ (next pointer + value + cached hash) plus a typical
  // 16-byte malloc header per allocation.
  constexpr size_t kMalloc = 16;
  size_t bytes = sizeof(*this) + grid_->memory_bytes();
  bytes += riders_.capacity() * sizeof(Rider) + id_of_slot_.capacity() * sizeof(const std::string*) +
           free_slots_.capacity() * sizeof(uint32_t);
  bytes += slots_.bucket_count() * sizeof(void*) +
           slots_.size() * (sizeof(void*) + sizeof(std::pair<const std::string, uint32_t>) + sizeof(size_t) + kMalloc);
  for (const auto& [id, slot] : slots_) {
    if (id.capacity() > 15) bytes += id.capacity() + 1 + kMalloc;  // beyond the small-string buffer
  }
  bytes += cells_.bucket_count() * sizeof(void*) +
           cells_.size() * (sizeof(void*) + sizeof(std::pair<const uint64_t, std::vector<uint32_t>>) + sizeof(size_t) +
                            2 * kMalloc);
  for (const auto& [key, members] : cells_) bytes += members.capacity() * sizeof(uint32_t);
  return bytes;
}

}  // namespace tidewire::dispatch

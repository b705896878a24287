#pragma once
// The uplink frame: an EdgeBatch, zstd-compressed when that pays. Decompression is
// bounded by both the declared raw size and kMaxBatchRawBytes, so a small hostile frame
// cannot expand into gigabytes.
#include <string>
#include <string_view>

#include "tidewire/common/expected.hpp"
#include "tidewire/v1/edge.pb.h"

namespace tidewire::codec {

// level 0 = no compression.
std::string encode_batch_frame(const v1::EdgeBatch& batch, int zstd_level);
Expected<v1::EdgeBatch> decode_batch_frame(std::string_view bytes);

}  // namespace tidewire::codec

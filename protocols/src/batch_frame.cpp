#include "tidewire/protocols/batch_frame.hpp"

#include <zstd.h>

#include "tidewire/protocols/codec.hpp"

namespace tidewire::codec {

std::string encode_batch_frame(const v1::EdgeBatch& batch, int zstd_level) {
  std::string raw = encode(batch);
  v1::BatchFrame frame;
  frame.set_raw_size(static_cast<uint32_t>(raw.size()));
  if (zstd_level > 0) {
    std::string packed(ZSTD_compressBound(raw.size()), '\0');
    size_t n = ZSTD_compress(packed.data(), packed.size(), raw.data(), raw.size(), zstd_level);
    if (!ZSTD_isError(n) && n < raw.size()) {
      packed.resize(n);
      frame.set_compression(v1::COMPRESSION_ZSTD);
      frame.set_data(std::move(packed));
      return encode(frame);
    }
  }
  frame.set_compression(v1::COMPRESSION_NONE);
  frame.set_data(std::move(raw));
  return encode(frame);
}

Expected<v1::EdgeBatch> decode_batch_frame(std::string_view bytes) {
  auto frame = decode<v1::BatchFrame>(bytes, kMaxBatchFrameBytes);
  if (!frame) return frame.error();
  if (frame->raw_size() > kMaxBatchRawBytes) {
    return make_error(ErrorCode::kTooLarge, "batch declares " + std::to_string(frame->raw_size()) + " raw bytes");
  }
  switch (frame->compression()) {
    case v1::COMPRESSION_NONE: return decode<v1::EdgeBatch>(frame->data(), kMaxBatchRawBytes);
    case v1::COMPRESSION_ZSTD: {
      std::string raw(frame->raw_size(), '\0');
      size_t n = ZSTD_decompress(raw.data(), raw.size(), frame->data().data(), frame->data().size());
      if (ZSTD_isError(n) || n != frame->raw_size()) {
        return make_error(ErrorCode::kMalformed, "zstd data corrupt or size differs from raw_size");
      }
      return decode<v1::EdgeBatch>(raw, kMaxBatchRawBytes);
    }
    default: return make_error(ErrorCode::kMalformed, "unknown compression");
  }
}

}  // namespace tidewire::codec

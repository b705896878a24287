#include "tidewire/protocols/batch_frame.hpp"

#include <gtest/gtest.h>

#include "tidewire/protocols/codec.hpp"

namespace tidewire::codec {
namespace {

v1::EdgeBatch sample(int n) {
  v1::EdgeBatch b;
  b.set_edge_id("edge1");
  b.set_batch_id(99);
  for (int i = 0; i < n; ++i) {
    auto* it = b.add_items();
    it->mutable_envelope()->set_device_id("p" + std::to_string(i));
    it->mutable_envelope()->mutable_event()->set_type("display.changed");
    b.add_spool_ids(static_cast<uint64_t>(i));
  }
  return b;
}

TEST(BatchFrame, CompressesAndRoundTrips) {
  auto b = sample(200);
  std::string plain = encode_batch_frame(b, 0);
  std::string packed = encode_batch_frame(b, 3);
  EXPECT_LT(packed.size(), plain.size() / 2);
  auto back = decode_batch_frame(packed);
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(back->items_size(), 200);
  EXPECT_EQ(back->items(199).envelope().device_id(), "p199");
}

TEST(BatchFrame, RefusesLiesAboutSize) {
  auto b = sample(50);
  auto frame = decode<v1::BatchFrame>(encode_batch_frame(b, 3), kMaxBatchFrameBytes);
  ASSERT_TRUE(frame.ok());
  frame->set_raw_size(frame->raw_size() + 1);
  EXPECT_EQ(decode_batch_frame(encode(*frame)).error().code, ErrorCode::kMalformed);
  frame->set_raw_size(static_cast<uint32_t>(kMaxBatchRawBytes + 1));
  EXPECT_EQ(decode_batch_frame(encode(*frame)).error().code, ErrorCode::kTooLarge);
  frame->set_raw_size(100);
  frame->set_data("not zstd");
  EXPECT_EQ(decode_batch_frame(encode(*frame)).error().code, ErrorCode::kMalformed);
}

}  // namespace
}  // namespace tidewire::codec

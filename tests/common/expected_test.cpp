// Error: a reason for programs next to the message for people, kept through with_context.
#include "tidewire/common/expected.hpp"

#include <gtest/gtest.h>

namespace tidewire {
namespace {

TEST(ErrorTest, ReasonDefaultsToTheCodesName) {
  EXPECT_EQ(make_error(ErrorCode::kNotFound, "no device 'x'").reason, "not_found");
  EXPECT_EQ(make_error(ErrorCode::kConflict, "taken", "").reason, "conflict");
  Error braced{ErrorCode::kMalformed, "bad bytes"};  // the old two-field spelling still works
  EXPECT_EQ(braced.reason, "malformed");
  EXPECT_EQ(braced.message, "bad bytes");
}

TEST(ErrorTest, ReasonIsSetWhereTheErrorIsMadeAndSurvivesContext) {
  Error e = make_error(ErrorCode::kNotFound, "no recipient 'r1'", "unknown_recipient");
  Error outer = e.with_context("push").with_context("alert notice");
  EXPECT_EQ(outer.code, ErrorCode::kNotFound);
  EXPECT_EQ(outer.reason, "unknown_recipient");
  EXPECT_EQ(outer.message, "alert notice: push: no recipient 'r1'");
  EXPECT_EQ(outer.describe(), "not_found (unknown_recipient): alert notice: push: no recipient 'r1'");
  EXPECT_EQ(make_error(ErrorCode::kIo, "disk full").describe(), "io: disk full");
}

TEST(ErrorTest, ExpectedCarriesTheWholeError) {
  Expected<int> failed = make_error(ErrorCode::kInvalidArgument, "too big", "invalid_ttl");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().reason, "invalid_ttl");
  Status st = failed.error();
  EXPECT_EQ(st.error().reason, "invalid_ttl");
  EXPECT_TRUE(Status{});
}

}  // namespace
}  // namespace tidewire

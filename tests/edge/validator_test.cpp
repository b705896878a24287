#include "tidewire/edge/validator.hpp"

#include <gtest/gtest.h>

#include "tests/edge/edge_test_support.hpp"

namespace tidewire::edge {
namespace {

using namespace tidewire::edge::testing;

class ValidatorTest : public ::testing::Test {
 protected:
  Validator validator{"s1"};
  topics::DeviceAddress d1 = address("d1");
};

TEST_F(ValidatorTest, AcceptsAValidEvent) {
  auto w = event(d1, "boot-a", 7, 5);
  auto v = validator.check(w.topic, w.payload);
  ASSERT_TRUE(v.ok()) << v.detail;
  EXPECT_EQ(v.message->topic.address.device_id, "d1");
  EXPECT_EQ(v.message->topic.channel, topics::Channel::kEvent);
  EXPECT_EQ(v.message->envelope.seq(), 7u);
  EXPECT_EQ(v.message->envelope.event().outbox_floor_seq(), 5u);
}

TEST_F(ValidatorTest, AcceptsStatusPresenceAndResult) {
  for (const auto& w : {status(d1, 80), presence(d1, true, 3), result(d1, "b", 9, "cmd-1")}) {
    auto v = validator.check(w.topic, w.payload);
    EXPECT_TRUE(v.ok()) << w.topic << ": " << v.detail;
  }
}

TEST_F(ValidatorTest, AcceptsAMerchantOrderEventButNoMerchantStatus) {
  auto m = address("m1", "s1", v1::DEVICE_KIND_MERCHANT);
  auto w = event(m, "boot-a", 3, 0, v1::PRIORITY_HIGH, "order.create");
  auto v = validator.check(w.topic, w.payload);
  ASSERT_TRUE(v.ok()) << v.detail;
  EXPECT_EQ(w.topic, "tw/v1/site/s1/merchant/m1/event");
  EXPECT_EQ(v.message->topic.address.kind, v1::DEVICE_KIND_MERCHANT);
  auto s = envelope(m, "", 0);
  s.mutable_status()->mutable_poster()->set_brightness_pct(50);
  auto refused = validator.check(*topics::device_topic(m, topics::Channel::kStatus), codec::encode(s));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.reason, RejectReason::kInvalidField);
}

TEST_F(ValidatorTest, RejectsBadTopic) {
  auto w = event(d1, "b", 1);
  for (const std::string topic : {"tw/v1/site/s1/poster/d1/bogus", "tw/v1/site/s1/toaster/d1/event",
                                  "tw/v1/site/s2/poster/d1/event", "tw/v1/site/s1/poster/d1/ack",
                                  "tw/v1/site/s1/poster/d1/cmd", "not/a/topic", ""}) {
    auto v = validator.check(topic, w.payload);
    ASSERT_FALSE(v.ok()) << topic;
    EXPECT_EQ(v.reason, RejectReason::kBadTopic) << topic;
    EXPECT_FALSE(v.detail.empty());
  }
}

TEST_F(ValidatorTest, RejectsOversize) {
  auto w = event(d1, "b", 1);
  std::string big(codec::kMaxEnvelopeBytes + 1, 'x');
  auto v = validator.check(w.topic, big);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.reason, RejectReason::kOversize);
}

TEST_F(ValidatorTest, RejectsMalformed) {
  auto w = event(d1, "b", 1);
  auto v = validator.check(w.topic, std::string("\xff\xff\xff\xff garbage", 12));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.reason, RejectReason::kMalformed);
}

TEST_F(ValidatorTest, RejectsIdentityMismatch) {
  // d2's envelope published on d1's topic: a device speaking for another.
  auto spoof = event(address("d2"), "b", 1);
  auto v = validator.check(*topics::device_topic(d1, topics::Channel::kEvent), spoof.payload);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.reason, RejectReason::kIdentityMismatch);
}

TEST_F(ValidatorTest, RejectsInvalidField) {
  v1::Envelope e = envelope(d1, "b", 0);  // an event must carry a seq
  e.mutable_event()->set_type("x");
  auto w = wire(d1, topics::Channel::kEvent, e);
  auto v = validator.check(w.topic, w.payload);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.reason, RejectReason::kInvalidField);

  // A status body on the event channel is also a field error, not a topic error.
  auto s = status(d1, 50);
  v = validator.check(w.topic, s.payload);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.reason, RejectReason::kInvalidField);
}

TEST(RejectReasonTest, NamesAreTheDocumentedOnes) {
  EXPECT_STREQ(reject_reason_name(RejectReason::kBadTopic), "bad_topic");
  EXPECT_STREQ(reject_reason_name(RejectReason::kOversize), "oversize");
  EXPECT_STREQ(reject_reason_name(RejectReason::kMalformed), "malformed");
  EXPECT_STREQ(reject_reason_name(RejectReason::kIdentityMismatch), "identity_mismatch");
  EXPECT_STREQ(reject_reason_name(RejectReason::kInvalidField), "invalid_field");
}

}  // namespace
}  // namespace tidewire::edge

#include "tidewire/protocols/codec.hpp"

#include <gtest/gtest.h>

namespace tidewire::codec {
namespace {

topics::DeviceTopic topic_of(topics::Channel ch) { return {{"site1", v1::DEVICE_KIND_POSTER, "p1"}, ch}; }

v1::Envelope poster_event() {
  v1::Envelope e;
  e.set_device_id("p1");
  e.set_site("site1");
  e.set_kind(v1::DEVICE_KIND_POSTER);
  e.set_boot_id("boot-a");
  e.set_seq(7);
  e.mutable_event()->set_type("display.changed");
  e.mutable_event()->set_outbox_floor_seq(5);
  return e;
}

TEST(Codec, DecodesAValidEvent) {
  auto d = decode_device_message(topic_of(topics::Channel::kEvent), encode(poster_event()));
  ASSERT_TRUE(d.ok()) << d.error().describe();
  EXPECT_EQ(d->seq(), 7u);
}

TEST(Codec, RejectReasonsAreDistinct) {
  auto ev = topic_of(topics::Channel::kEvent);
  EXPECT_EQ(decode_device_message(ev, std::string(kMaxEnvelopeBytes + 1, 'x')).error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(decode_device_message(ev, "\xff\xff\xff garbage").error().code, ErrorCode::kMalformed);

  auto spoofed = poster_event();
  spoofed.set_device_id("p2");
  EXPECT_EQ(decode_device_message(ev, encode(spoofed)).error().code, ErrorCode::kConflict);

  auto wrong_channel = decode_device_message(topic_of(topics::Channel::kStatus), encode(poster_event()));
  EXPECT_EQ(wrong_channel.error().code, ErrorCode::kInvalidArgument);

  auto unnumbered = poster_event();
  unnumbered.set_seq(0);
  EXPECT_EQ(decode_device_message(ev, encode(unnumbered)).error().code, ErrorCode::kInvalidArgument);
}

TEST(Codec, EventBodyIsBoundedAndMerchantsSendNoStatus) {
  topics::DeviceTopic merchant{{"site1", v1::DEVICE_KIND_MERCHANT, "m1"}, topics::Channel::kEvent};
  auto e = poster_event();
  e.set_device_id("m1");
  e.set_kind(v1::DEVICE_KIND_MERCHANT);
  e.mutable_event()->set_type("order.create");
  e.mutable_event()->set_body(std::string(kMaxEventBodyBytes, 'b'));
  EXPECT_TRUE(decode_device_message(merchant, encode(e)).ok());
  e.mutable_event()->set_body(std::string(kMaxEventBodyBytes + 1, 'b'));
  EXPECT_EQ(decode_device_message(merchant, encode(e)).error().code, ErrorCode::kInvalidArgument);

  v1::Envelope s;
  s.set_device_id("m1");
  s.set_site("site1");
  s.set_kind(v1::DEVICE_KIND_MERCHANT);
  s.mutable_status()->mutable_rider()->set_lat(1);
  EXPECT_FALSE(validate_envelope(s).ok());
}

TEST(Codec, StatusMustMatchKindAndRanges) {
  v1::Envelope e = poster_event();
  e.mutable_status()->mutable_rider()->set_lat(10);
  auto st = topic_of(topics::Channel::kStatus);
  EXPECT_FALSE(decode_device_message(st, encode(e)).ok());
  e.mutable_status()->mutable_poster()->set_brightness_pct(101);
  EXPECT_FALSE(decode_device_message(st, encode(e)).ok());
  e.mutable_status()->mutable_poster()->set_brightness_pct(80);
  EXPECT_TRUE(decode_device_message(st, encode(e)).ok());

  v1::Envelope r;
  r.set_device_id("r1");
  r.set_site("site1");
  r.set_kind(v1::DEVICE_KIND_RIDER);
  r.mutable_status()->mutable_rider()->set_lat(91);
  EXPECT_FALSE(validate_envelope(r).ok());
}

TEST(Codec, CommandNeedsIdAndName) {
  v1::Command c;
  c.set_name("reboot");
  EXPECT_FALSE(decode_command(encode(c)).ok());
  c.set_command_id("c1");
  EXPECT_TRUE(decode_command(encode(c)).ok());
}

}  // namespace
}  // namespace tidewire::codec

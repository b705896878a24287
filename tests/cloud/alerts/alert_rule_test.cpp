// Rules as JSON and as a rules file: what is accepted, and the reason a bad one is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "alert_test_support.hpp"
#include "tidewire/alerts/rules_file.hpp"

namespace tidewire::alerts {
namespace {

Error refused(const std::string& json) {
  auto parsed = parse_rule_json(json, RuleSource::kApi);
  EXPECT_FALSE(parsed.rule) << json;
  return parsed.error;
}

TEST(AlertRuleTest, EachTypeParsesAndRoundTrips) {
  for (const std::string json :
       {R"({"id":"off","type":"device_offline","after_s":300,"site":"site-1","kind":"poster","tags":["operators"]})",
        R"({"id":"enc-low","type":"status_threshold","kind":"encoder","field":"bitrate_kbps","op":"<",)"
        R"("threshold":500,"for_s":30,"recipient_ids":["streamer-1"],"priority":"normal","ttl_s":600})",
        R"({"id":"hot","type":"status_threshold","kind":"poster","field":"temperature_c","op":">",)"
        R"("threshold":70.5,"for_s":60,"tags":["installers"]})",
        R"({"id":"dark","type":"site_offline","offline_pct":50,"min_devices":4,"for_s":0,"tags":["ops"]})"}) {
    auto parsed = parse_rule_json(json, RuleSource::kApi);
    ASSERT_TRUE(parsed.rule) << json << " -> " << parsed.error.message;
    auto again = parse_rule_json(rule_to_json(*parsed.rule), RuleSource::kApi);
    ASSERT_TRUE(again.rule) << rule_to_json(*parsed.rule) << " -> " << again.error.message;
    EXPECT_TRUE(*again.rule == *parsed.rule) << rule_to_json(*parsed.rule);
  }
  auto hot = testing::rule(R"({"id":"hot","type":"status_threshold","kind":"poster","field":"temperature_c",)"
                           R"("op":">","threshold":70.5,"tags":["installers"]})");
  EXPECT_EQ(hot.op, Comparison::kAbove);
  EXPECT_DOUBLE_EQ(hot.threshold, 70.5);
  EXPECT_EQ(hot.priority, v1::PUSH_PRIORITY_HIGH);  // alerts default to high
}

TEST(AlertRuleTest, RoundTripsThroughItsProtoAndJsonMapping) {
  auto site = testing::rule(R"({"id":"dark","type":"site_offline","offline_pct":50,"min_devices":4,"for_s":0,)"
                            R"("site":"site-1","kind":"poster","tags":["ops"],"priority":"normal","ttl_s":600})");
  v1::AlertRule proto = to_proto(site);
  EXPECT_EQ(proto.type(), "site_offline");
  EXPECT_EQ(proto.kind(), "poster");
  EXPECT_EQ(proto.priority(), "normal");
  EXPECT_EQ(proto.source(), "file");
  EXPECT_TRUE(proto.has_for_s());  // 0, but part of the rule: printed
  EXPECT_FALSE(proto.has_after_s());
  auto back = from_proto(proto, RuleSource::kApi);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(*back == site);
  EXPECT_EQ(back->source, RuleSource::kApi);  // the caller says where a rule comes from, not the JSON

  std::string json = rule_to_json(site);
  EXPECT_EQ(json,
            R"({"id":"dark","type":"site_offline","tags":["ops"],"priority":"normal","ttl_s":600,"source":"file",)"
            R"("site":"site-1","kind":"poster","for_s":0,"offline_pct":50,"min_devices":4})");
  auto again = parse_rule_json(json, RuleSource::kFile);
  ASSERT_TRUE(again.rule) << again.error.message;
  EXPECT_TRUE(*again.rule == site);
}

TEST(AlertRuleTest, RulesWrittenBeforeTheProtoStillParse) {
  // docs/alerts.md's rules file, and a row the alert store wrote before alerts.proto.
  for (const char* line :
       {R"({"id":"poster-off","type":"device_offline","kind":"poster","after_s":600,"tags":["operators"]})",
        R"({"id":"site-dark","type":"site_offline","offline_pct":50,"min_devices":5,"for_s":120,"tags":["operators"]})",
        R"({"id":"hot","type":"status_threshold","kind":"poster","field":"temperature_c","op":">","threshold":70,)"
        R"("for_s":300,"tags":["installers"]})",
        R"({"id":"flat","type":"status_threshold","kind":"rider","field":"battery_pct","op":"<","threshold":10,)"
        R"("tags":["rider-ops"],"priority":"normal"})",
        R"({"id":"hot","type":"status_threshold","kind":"poster","field":"temperature_c","op":">","threshold":70,)"
        R"("for_s":60,"recipient_ids":[],"tags":["installers"],"priority":"high","ttl_s":0,"source":"api"})"}) {
    auto parsed = parse_rule_json(line, RuleSource::kFile);
    EXPECT_TRUE(parsed.rule) << line << " -> " << parsed.error.reason << ": " << parsed.error.message;
  }
}

TEST(AlertRuleTest, AKeyOfAnotherTypeIsRefusedEvenAtZero) {
  auto e = refused(R"({"id":"x","type":"device_offline","after_s":5,"threshold":0,"tags":["a"]})");
  EXPECT_EQ(e.reason, "unknown_key");
  EXPECT_NE(e.message.find("\"threshold\" is not part of a device_offline rule"), std::string::npos) << e.message;
  EXPECT_EQ(refused(R"({"id":"x","type":"site_offline","offline_pct":5,"after_s":0,"tags":["a"]})").reason,
            "unknown_key");
  EXPECT_EQ(refused(R"({"id":"x","type":"device_offline","after_s":5,"tags":["a"],"ttl_s":-1})").reason, "bad_value");
}

TEST(AlertRuleTest, FieldRegistryReadsOnlyItsKind) {
  const StatusField* battery = find_status_field(v1::DEVICE_KIND_RIDER, "battery_pct");
  ASSERT_NE(battery, nullptr);
  v1::Status rider;
  rider.mutable_rider()->set_battery_pct(12);
  v1::Status poster;
  poster.mutable_poster()->set_temperature_c(40);
  EXPECT_EQ(battery->read(rider), 12.0);
  EXPECT_FALSE(battery->read(poster).has_value());
  EXPECT_EQ(find_status_field(v1::DEVICE_KIND_POSTER, "battery_pct"), nullptr);
  EXPECT_NE(find_status_field(v1::DEVICE_KIND_ENCODER, "bitrate_kbps"), nullptr);
}

TEST(AlertRuleTest, BadRulesAreRefusedWithAReason) {
  EXPECT_EQ(refused(R"({"id":"x","type":"device_on_fire","tags":["a"]})").reason, "unknown_type");
  EXPECT_EQ(refused(R"({"id":"x","after_s":5,"tags":["a"]})").reason, "unknown_type");
  auto field = refused(R"({"id":"x","type":"status_threshold","kind":"encoder","field":"bitrate","op":"<",)"
                       R"("threshold":1,"tags":["a"]})");
  EXPECT_EQ(field.reason, "unknown_field");
  EXPECT_NE(field.message.find("bitrate_kbps"), std::string::npos) << field.message;  // lists the known ones
  EXPECT_EQ(refused(R"({"id":"x","type":"status_threshold","field":"fps","op":"<","threshold":1,"tags":["a"]})").reason,
            "unknown_field");  // no kind
  EXPECT_EQ(refused(R"({"id":"x","type":"device_offline","after_s":-5,"tags":["a"]})").reason, "bad_duration");
  // A fractional duration does not fit the schema's int32: the JSON mapping refuses it.
  EXPECT_EQ(refused(R"({"id":"x","type":"device_offline","after_s":1.5,"tags":["a"]})").reason, "invalid_json");
  EXPECT_EQ(refused(R"({"id":"x","type":"device_offline","tags":["a"]})").reason, "bad_duration");
  EXPECT_EQ(refused(R"({"id":"x","type":"site_offline","offline_pct":10,"for_s":-1,"tags":["a"]})").reason,
            "bad_duration");
  EXPECT_EQ(refused(R"({"id":"x","type":"device_offline","after_s":5})").reason, "no_recipients");
  EXPECT_EQ(refused(R"({"id":"x","type":"device_offline","after_s":5,"recipient_ids":[],"tags":[]})").reason,
            "no_recipients");
  EXPECT_EQ(refused(R"({"id":"x","type":"device_offline","after_s":5,"treshold":1,"tags":["a"]})").reason,
            "unknown_key");
  EXPECT_EQ(refused(R"({"id":"x","type":"device_offline","after_s":5,"kind":"toaster","tags":["a"]})").reason,
            "bad_value");
  EXPECT_EQ(refused(R"({"id":"x","type":"site_offline","offline_pct":100,"tags":["a"]})").reason, "bad_value");
  EXPECT_EQ(refused(R"({"id":"x","type":"status_threshold","kind":"rider","field":"battery_pct","op":"<=",)"
                    R"("threshold":1,"tags":["a"]})")
                .reason,
            "bad_value");
  EXPECT_EQ(refused(R"({"id":"a b","type":"device_offline","after_s":5,"tags":["a"]})").reason, "bad_id");
  // Recipient ids and sites travel in topics: no '.' (NATS, RabbitMQ). Rule ids and tags do not.
  auto dotted = refused(R"({"id":"x","type":"device_offline","after_s":5,"recipient_ids":["ops.1"]})");
  EXPECT_EQ(dotted.reason, "bad_value");
  EXPECT_NE(dotted.message.find("recipient id 'ops.1' must be 1-64 characters of [A-Za-z0-9_-] (no '.'"),
            std::string::npos)
      << dotted.message;
  EXPECT_EQ(refused(R"({"id":"x","type":"site_offline","offline_pct":10,"site":"s.1","tags":["a"]})").reason,
            "bad_value");
  EXPECT_EQ(refused(R"({"id":"x","type":"device_offline","after_s":5,"tags":["a"],"ttl_s":99999999})").reason,
            "bad_value");
  EXPECT_EQ(refused("not json").reason, "invalid_json");
  EXPECT_EQ(refused("").reason, "invalid_json");
  EXPECT_EQ(refused("[1,2]").reason, "invalid_json");
}

TEST(AlertRuleTest, RulesTextSkipsCommentsAndNamesTheBadLine) {
  auto ok = parse_rules_text(
      "# operators\n\n"
      R"({"id":"a","type":"device_offline","after_s":60,"tags":["ops"]})"
      "\n   \n"
      R"({"id":"b","type":"site_offline","offline_pct":25,"tags":["ops"]})"
      "\n");
  ASSERT_FALSE(ok.error) << ok.error->error.message;
  ASSERT_EQ(ok.rules.size(), 2U);
  EXPECT_EQ(ok.rules[1].id, "b");
  EXPECT_EQ(ok.rules[0].source, RuleSource::kFile);

  auto bad = parse_rules_text(
      "# header\n"
      R"({"id":"a","type":"device_offline","after_s":60,"tags":["ops"]})"
      "\n"
      R"({"id":"b","type":"status_threshold","kind":"poster","field":"temp","op":">","threshold":1,"tags":["x"]})"
      "\n");
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->line, 3);
  EXPECT_EQ(bad.error->error.reason, "unknown_field");
  EXPECT_TRUE(bad.rules.empty());  // all or nothing

  auto dup = parse_rules_text(R"({"id":"a","type":"device_offline","after_s":60,"tags":["ops"]})"
                              "\n"
                              R"({"id":"a","type":"device_offline","after_s":90,"tags":["ops"]})");
  ASSERT_TRUE(dup.error);
  EXPECT_EQ(dup.error->line, 2);
  EXPECT_EQ(dup.error->error.reason, "duplicate_id");
}

TEST(AlertRuleTest, RulesFileErrorsNameFileAndLineAndAreCounted) {
  MetricsRegistry metrics;
  auto path = testing::temp_db_path() + ".rules";
  {
    std::ofstream out(path);
    out << R"({"id":"a","type":"device_offline","after_s":60,"tags":["ops"]})"
        << "\n"
        << R"({"id":"b","type":"device_offline","after_s":-1,"tags":["ops"]})"
        << "\n";
  }
  auto loaded = load_rules_file(path, metrics);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find(path + " line 2"), std::string::npos) << loaded.error().message;
  EXPECT_EQ(metrics.counter_value("tw_alert_rule_rejects_total", {{"source", "file"}, {"reason", "bad_duration"}}), 1U);

  auto missing = load_rules_file(path + ".absent", metrics);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("--alert-rules-file"), std::string::npos);

  auto none = load_rules_file("", metrics);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tidewire::alerts

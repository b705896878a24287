#include "tidewire/transport/transport.hpp"
#include "tidewire/edge/edge_options.hpp"

#include <gtest/gtest.h>

namespace tidewire::edge {
namespace {

Expected<EdgeSettings> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "tidewire-edge");
  Config config("tidewire-edge", "test", edge_option_specs());
  auto parsed = config.parse(static_cast<int>(args.size()), args.data());
  if (!parsed) return parsed.error();
  return edge_settings(config);
}

TEST(EdgeOptionsTest, DefaultsAreTheDocumentedOnes) {
  auto s = parse({"--edge-id", "gw-1", "--site", "mall-7"});
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(s->relay.edge_id, "gw-1");
  EXPECT_EQ(s->relay.site, "mall-7");
  EXPECT_EQ(s->site_port, transport::kDefaultMqttPort);
  EXPECT_EQ(s->cloud_port, 1884);
  EXPECT_EQ(s->spool_path, "edge-spool.db");
  EXPECT_EQ(s->spool_max_bytes, 256ull << 20);
  EXPECT_EQ(s->relay.spool_max_age_ms, 604'800'000);
  EXPECT_EQ(s->relay.uplink.max_items, 500u);
  EXPECT_EQ(s->relay.uplink.max_bytes, 1u << 20);
  EXPECT_EQ(s->relay.uplink.max_delay_ms, 200);
  EXPECT_EQ(s->relay.uplink.window, 8u);
  EXPECT_EQ(s->relay.uplink.ack_timeout_ms, 10'000);
  EXPECT_EQ(s->relay.uplink.drain_rate, 20'000);
  EXPECT_EQ(s->relay.uplink.zstd_level, 3);
  EXPECT_EQ(s->relay.group_commit_ms, 5);
  EXPECT_EQ(s->metrics_port, 0);
  EXPECT_EQ(s->host.summary_interval_ms, 30'000);
}

TEST(EdgeOptionsTest, RequiredAndInvalidValuesSayWhatToFix) {
  auto missing = parse({"--site", "s1"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("--edge-id: required"), std::string::npos);
  auto bad_id = parse({"--edge-id", "a/b", "--site", "s1"});
  ASSERT_FALSE(bad_id.ok());
  EXPECT_NE(bad_id.error().message.find("--edge-id"), std::string::npos);
  // NATS and RabbitMQ map '.' in a topic: an edge id or site with one is refused up front.
  auto dotted = parse({"--edge-id", "gw.1", "--site", "s1"});
  ASSERT_FALSE(dotted.ok());
  EXPECT_NE(dotted.error().message.find("--edge-id: 'gw.1' must be 1-64 characters of [A-Za-z0-9_-] (no '.'"),
            std::string::npos)
      << dotted.error().message;
  auto dotted_site = parse({"--edge-id", "gw-1", "--site", "mall.7"});
  ASSERT_FALSE(dotted_site.ok());
  EXPECT_NE(dotted_site.error().message.find("--site: 'mall.7' must be 1-64 characters of [A-Za-z0-9_-]"),
            std::string::npos)
      << dotted_site.error().message;
  auto port = parse({"--edge-id", "e", "--site", "s", "--cloud-port", "70000"});
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.error().message.find("--cloud-port"), std::string::npos);
  auto size = parse({"--edge-id", "e", "--site", "s", "--batch-max-bytes", "9MiB"});
  ASSERT_FALSE(size.ok());
  EXPECT_NE(size.error().message.find("--batch-max-bytes"), std::string::npos);
}

TEST(EdgeOptionsTest, ConfigFileValuesAndFlagsOverride) {
  Config config("tidewire-edge", "test", edge_option_specs());
  ASSERT_TRUE(config.apply_file_text("edge-id = e9\nsite = s9\nspool-max-bytes = 2GiB # big disk\n", "edge.conf").ok());
  ASSERT_TRUE(config.set("zstd-level", "0", "command line").ok());
  auto s = edge_settings(config);
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(s->spool_max_bytes, 2ull << 30);
  EXPECT_EQ(s->relay.uplink.zstd_level, 0);
}

TEST(EdgeOptionsTest, ParsesSizes) {
  EXPECT_EQ(*parse_size("1048576"), 1048576u);
  EXPECT_EQ(*parse_size("512KiB"), 512u << 10);
  EXPECT_EQ(*parse_size("256MiB"), 256u << 20);
  EXPECT_EQ(*parse_size("1g"), 1u << 30);
  EXPECT_FALSE(parse_size("MiB").ok());
  EXPECT_FALSE(parse_size("12 parsecs").ok());
  EXPECT_FALSE(parse_size("99999999999999GiB").ok());
}

}  // namespace
}  // namespace tidewire::edge

#include "tidewire/common/config.hpp"

#include <gtest/gtest.h>

namespace tidewire {
namespace {

Config make() {
  return Config("prog", "test program",
                {{"name", OptionSpec::Type::kString, "x", "a name"},
                 {"count", OptionSpec::Type::kInt, "3", "a count"},
                 {"verbose", OptionSpec::Type::kBool, "false", "talk more"}});
}

TEST(Config, DefaultsThenFileThenFlags) {
  Config c = make();
  ASSERT_TRUE(c.apply_file_text("# comment\nname = from-file\ncount=7\n", "f.conf"));
  const char* argv[] = {"prog", "--count=9", "--verbose", "pos"};
  auto r = c.parse(4, argv);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_EQ(c.str("name"), "from-file");
  EXPECT_EQ(c.integer("count"), 9);
  EXPECT_TRUE(c.flag("verbose"));
  ASSERT_EQ(c.positionals().size(), 1u);
}

TEST(Config, RejectsUnknownAndMistyped) {
  Config c = make();
  const char* unknown[] = {"prog", "--colour=red"};
  auto r = c.parse(2, unknown);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unknown option 'colour'"), std::string::npos);
  Config d = make();
  const char* typed[] = {"prog", "--count", "many"};
  auto t = d.parse(3, typed);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("expected an integer"), std::string::npos);
  Config e = make();
  auto f = e.apply_file_text("just words\n", "x.conf");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("x.conf:1"), std::string::npos);
}

TEST(Config, HelpListsEveryOptionWithDefault) {
  Config c = make();
  const char* argv[] = {"prog", "--help"};
  auto r = c.parse(2, argv);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  auto u = c.usage();
  EXPECT_NE(u.find("--count=N"), std::string::npos);
  EXPECT_NE(u.find("(default: 3)"), std::string::npos);
}

}  // namespace
}  // namespace tidewire

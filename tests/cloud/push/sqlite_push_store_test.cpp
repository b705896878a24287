// Opening a push store by URL, and what only the SQLite backend promises: a real file that
// holds every commit, readable by another connection and after the store is closed.
#include "sqlite/sqlite_push_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "open_push_store.hpp"
#include "tests/cloud/push/push_store_test_support.hpp"

namespace tidewire::push {
namespace {

TEST(OpenPushStore, AnUnknownSchemeIsRefusedNamingItAndTheBuiltInOnes) {
  auto store = open_push_store({"postgres", "//db.test/tidewire", "postgres://db.test/tidewire"});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(store.error().message.find("'postgres'"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("built in: sqlite"), std::string::npos) << store.error().message;
}

TEST(OpenPushStore, AFileThatCannotBeCreatedIsAnError) {
  auto path = testing::fresh_db_path("no-such-dir") + "/push.db";
  auto store = open_push_store({"sqlite", path, "sqlite://" + path});
  EXPECT_FALSE(store.ok());
}

TEST(SqlitePushStore, ACommitIsInTheFileForAnotherConnectionAndAfterClosing) {
  auto path = testing::fresh_db_path("sqlite-file");
  auto opened = open_push_store({"sqlite", path, "sqlite://" + path});
  ASSERT_TRUE(opened.ok()) << opened.error().describe();
  PushStorePtr writer = std::move(*opened);
  ASSERT_TRUE(writer->put_recipient(testing::recipient("r1", {"ops"})).ok());
  ASSERT_TRUE(writer->queue(testing::notification("n1", {.key = "key-1"}), {"r1"}, 1'000, true).ok());

  auto reader = SqlitePushStore::open(path);  // a second connection on the same file
  ASSERT_TRUE(reader.ok()) << reader.error().describe();
  EXPECT_EQ(*(*reader)->notification_by_key("key-1"), std::optional<std::string>("n1"));
  ASSERT_TRUE((*(*reader)->delivery("n1", "r1")).has_value());

  reader->reset();
  writer.reset();
  EXPECT_TRUE(std::filesystem::exists(path));
  auto again = SqlitePushStore::open(path);
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_TRUE((*(*again)->recipient("r1")).has_value());
  EXPECT_EQ((*(*again)->deliveries_of("n1", 10)).size(), 1u);
}

}  // namespace
}  // namespace tidewire::push

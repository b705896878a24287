#include "sqlite/sqlite.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace tidewire {
namespace {

std::string temp_db() {
  auto dir = std::filesystem::temp_directory_path() / ("tw-sqlite-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto p = dir / (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".db");
  std::filesystem::remove(p);
  return p.string();
}

TEST(Sqlite, RoundTripsBlobsAndRollsBackUncommitted) {
  std::string path = temp_db();
  {
    auto db = sqlite::Database::open(path);
    ASSERT_TRUE(db.ok()) << db.error().describe();
    ASSERT_TRUE((*db)->exec("CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB)"));
    auto ins = (*db)->prepare("INSERT INTO t(k, v) VALUES(?, ?)");
    ASSERT_TRUE(ins.ok());
    {
      sqlite::Transaction tx(**db);
      ASSERT_TRUE(ins->bind(1, int64_t{1}).bind_blob(2, std::string("a\0b", 3)).run());
      ASSERT_TRUE(tx.commit());
    }
    {
      sqlite::Transaction tx(**db);
      ASSERT_TRUE(ins->bind(1, int64_t{2}).bind_blob(2, "lost").run());
      // no commit: destructor rolls back
    }
  }
  auto db = sqlite::Database::open(path);
  ASSERT_TRUE(db.ok());
  auto sel = (*db)->prepare("SELECT k, v FROM t ORDER BY k");
  ASSERT_TRUE(sel.ok());
  auto row = sel->step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(sel->column_int(0), 1);
  EXPECT_EQ(sel->column_blob(1), std::string("a\0b", 3));
  row = sel->step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row);
}

// A cached statement comes back reset with no bindings; one lent out twice at once (a
// nested use of the same text) is a second, independent statement.
TEST(Sqlite, CachedStatementsAreResetAndNeverShared) {
  auto db = sqlite::Database::open(temp_db());
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->exec("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES(1,'a'),(2,'b')"));
  const std::string sql = "SELECT v FROM t WHERE k >= ?1 ORDER BY k";
  {
    auto outer = (*db)->cached(sql);
    ASSERT_TRUE(outer.ok());
    outer->bind(1, int64_t{1});
    ASSERT_TRUE(*outer->step());
    EXPECT_EQ(outer->column_text(0), "a");
    auto inner = (*db)->cached(sql);  // the cached one is mid-step: a fresh one
    ASSERT_TRUE(inner.ok());
    inner->bind(1, int64_t{2});
    ASSERT_TRUE(*inner->step());
    EXPECT_EQ(inner->column_text(0), "b");
    ASSERT_TRUE(*outer->step());  // outer's cursor was not disturbed
    EXPECT_EQ(outer->column_text(0), "b");
  }
  // Handed back mid-query: the next borrower starts from the top, with ?1 unbound (NULL).
  auto again = (*db)->cached(sql);
  ASSERT_TRUE(again.ok());
  auto row = again->step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row) << "k >= NULL matches nothing; a leftover binding would match";
  again->reset();
  again->bind(1, int64_t{2});
  auto moved = std::move(*again);
  ASSERT_TRUE(*moved.step());
  EXPECT_EQ(moved.column_text(0), "b");
  auto bad = (*db)->cached("SELECT nope FROM t");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("nope"), std::string::npos);
}

TEST(Sqlite, ErrorsSayWhatFailed) {
  auto db = sqlite::Database::open(temp_db());
  ASSERT_TRUE(db.ok());
  auto bad = (*db)->prepare("SELECT * FROM missing_table");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("missing_table"), std::string::npos);
  EXPECT_EQ(bad.error().reason, "store_failed");  // what an HTTP answer about it carries
  auto nodir = sqlite::Database::open("/nonexistent-dir/x.db");
  ASSERT_FALSE(nodir.ok());
}

}  // namespace
}  // namespace tidewire

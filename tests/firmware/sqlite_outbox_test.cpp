// What only the SQLite outbox promises: numbering and contents survive a restart, a
// clean one or a kill -9.
#include "sqlite/sqlite_outbox.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

namespace tidewire::firmware {
namespace {

class SqliteOutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = std::filesystem::temp_directory_path() / ("tw-sqlite-outbox-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    path = (dir / (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".db")).string();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }

  std::unique_ptr<SqliteOutbox> open(OutboxLimits limits = {}) {
    auto o = SqliteOutbox::open(path, limits, clock, metrics);
    EXPECT_TRUE(o.ok()) << o.error().describe();
    return o.ok() ? std::move(*o) : nullptr;
  }

  std::string path;
  ManualClock clock;
  MetricsRegistry metrics;
};

TEST_F(SqliteOutboxTest, SeqKeepsGrowingAcrossReopenEvenWhenEverythingWasAcked) {
  {
    auto o = open();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(o->append({v1::PRIORITY_NORMAL, OutboxChannel::kEvent, "e", ""}).ok());
    ASSERT_TRUE(o->ack_up_to(3).ok());
    EXPECT_EQ(*o->next_session_seq(), 1u);
  }
  auto o = open();
  EXPECT_EQ(o->last_seq(), 3u);
  EXPECT_EQ(o->floor_seq(), 4u);
  EXPECT_EQ(*o->append({v1::PRIORITY_NORMAL, OutboxChannel::kEvent, "e", ""}), 4u);
  EXPECT_EQ(*o->next_session_seq(), 2u);
}

TEST_F(SqliteOutboxTest, RowsPriorityChannelAndResultsSurviveReopen) {
  {
    auto o = open();
    ASSERT_TRUE(o->append({v1::PRIORITY_LOW, OutboxChannel::kEvent, "low", ""}).ok());
    ASSERT_TRUE(o->append({v1::PRIORITY_HIGH, OutboxChannel::kResult, "res", "cmd-1"}).ok());
  }
  auto o = open({.max_bytes = 6});
  auto rows = o->pending(0, 10);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].priority, v1::PRIORITY_LOW);
  EXPECT_EQ((*rows)[1].channel, OutboxChannel::kResult);
  EXPECT_EQ((*rows)[1].envelope, "res");
  ASSERT_TRUE(o->recall_result("cmd-1").has_value());
  EXPECT_EQ(o->recall_result("cmd-1")->seq, 2u);
  EXPECT_EQ(o->stats().bytes, 6u);
  // The reloaded index knows priorities: making room evicts the LOW row, not the result.
  ASSERT_TRUE(o->append({v1::PRIORITY_NORMAL, OutboxChannel::kEvent, "n", ""}).ok());
  auto after = o->pending(0, 10);
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ((*after)[0].seq, 2u);
  EXPECT_EQ((*after)[1].seq, 3u);
}

TEST_F(SqliteOutboxTest, KillNineLosesNoCommittedRowAndReusesNoSeq) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child appends and dies without closing anything, like a power cut after commit.
    ManualClock c;
    MetricsRegistry m;
    auto o = SqliteOutbox::open(path, {}, c, m);
    if (!o.ok()) ::_exit(3);
    for (int i = 0; i < 5; ++i)
      if (!(*o)->append({v1::PRIORITY_NORMAL, OutboxChannel::kEvent, "crash-" + std::to_string(i), ""}).ok())
        ::_exit(4);
    if (!(*o)->next_session_seq().ok()) ::_exit(5);
    ::raise(SIGKILL);
    ::_exit(6);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  auto o = open();
  EXPECT_EQ(o->last_seq(), 5u);
  auto rows = o->pending(0, 10);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 5u);
  EXPECT_EQ((*rows)[4].envelope, "crash-4");
  EXPECT_EQ(*o->append({v1::PRIORITY_NORMAL, OutboxChannel::kEvent, "after", ""}), 6u);
  EXPECT_EQ(*o->next_session_seq(), 2u);
}

TEST_F(SqliteOutboxTest, ReportsAnUnusablePath) {
  auto o = SqliteOutbox::open("/nonexistent-dir/outbox.db", {}, clock, metrics);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.error().message.find("outbox"), std::string::npos);
}

}  // namespace
}  // namespace tidewire::firmware

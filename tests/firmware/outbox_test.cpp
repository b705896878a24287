// Both outboxes against one contract: numbering, acks, floor, bounds, drop order and
// counters, remembered results. SqliteOutbox-only durability tests are in
// sqlite_outbox_test.cpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "sqlite/sqlite_outbox.hpp"
#include "tidewire/firmware/memory_outbox.hpp"

namespace tidewire::firmware {
namespace {

std::string temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("tw-outbox-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string file = std::string(info->test_suite_name()) + "-" + info->name() + "-" + name + ".db";
  for (char& c : file)
    if (c == '/') c = '_';
  auto p = dir / file;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + suffix);
  return p.string();
}

OutboxEntry entry(v1::Priority p, size_t bytes, OutboxChannel channel = OutboxChannel::kEvent) {
  return {p, channel, std::string(bytes, 'x'), ""};
}

std::vector<uint64_t> held_seqs(Outbox& o) {
  auto rows = o.pending(0, 1000);
  EXPECT_TRUE(rows.ok());
  std::vector<uint64_t> out;
  for (const auto& r : *rows) out.push_back(r.seq);
  return out;
}

enum class Kind { kMemory, kSqlite };

class OutboxContract : public ::testing::TestWithParam<Kind> {
 protected:
  std::unique_ptr<Outbox> make(OutboxLimits limits) {
    if (GetParam() == Kind::kMemory) return std::make_unique<MemoryOutbox>(limits, clock, metrics);
    auto o = SqliteOutbox::open(temp_path("outbox"), limits, clock, metrics);
    EXPECT_TRUE(o.ok()) << o.error().describe();
    return std::move(*o);
  }

  ManualClock clock;
  MetricsRegistry metrics;
};

TEST_P(OutboxContract, NumbersAppendsAndReadsThemInOrder) {
  auto o = make({});
  EXPECT_EQ(o->last_seq(), 0u);
  EXPECT_EQ(o->floor_seq(), 1u);
  for (uint64_t i = 1; i <= 5; ++i) {
    auto seq = o->append({v1::PRIORITY_NORMAL, OutboxChannel::kEvent, "payload-" + std::to_string(i), ""});
    ASSERT_TRUE(seq.ok()) << seq.error().describe();
    EXPECT_EQ(*seq, i);
  }
  auto rows = o->pending(2, 2);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].seq, 3u);
  EXPECT_EQ((*rows)[0].envelope, "payload-3");
  EXPECT_EQ((*rows)[1].seq, 4u);
  EXPECT_EQ((*rows)[0].created_ms, clock.wall_ms());
  EXPECT_EQ(o->stats().rows, 5u);
  EXPECT_EQ(o->stats().appended, 5u);
}

TEST_P(OutboxContract, AckDeletesUpToSeqAndMovesTheFloor) {
  auto o = make({});
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(o->append(entry(v1::PRIORITY_NORMAL, 10)).ok());
  auto deleted = o->ack_up_to(2);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 2u);
  EXPECT_EQ(o->floor_seq(), 3u);
  EXPECT_EQ(held_seqs(*o), (std::vector<uint64_t>{3, 4}));
  // Acks are cumulative and idempotent.
  EXPECT_EQ(*o->ack_up_to(1), 0u);
  EXPECT_EQ(*o->ack_up_to(4), 2u);
  EXPECT_EQ(o->floor_seq(), 5u);  // empty: one past the last seq
  EXPECT_EQ(o->stats().acked, 4u);
  EXPECT_EQ(o->stats().bytes, 0u);
  // Numbering does not restart when the outbox empties.
  EXPECT_EQ(*o->append(entry(v1::PRIORITY_NORMAL, 10)), 5u);
}

TEST_P(OutboxContract, DropsLowThenNormalThenHighOldestFirst) {
  auto o = make({.max_bytes = 100});
  // seq: 1 H, 2 L, 3 N, 4 L, 5 N   (20 bytes each: 100 bytes, full)
  for (auto p : {v1::PRIORITY_HIGH, v1::PRIORITY_LOW, v1::PRIORITY_NORMAL, v1::PRIORITY_LOW, v1::PRIORITY_NORMAL})
    ASSERT_TRUE(o->append(entry(p, 20)).ok());
  ASSERT_TRUE(o->append(entry(v1::PRIORITY_HIGH, 20)).ok());  // evicts 2 (oldest LOW)
  EXPECT_EQ(held_seqs(*o), (std::vector<uint64_t>{1, 3, 4, 5, 6}));
  ASSERT_TRUE(o->append(entry(v1::PRIORITY_HIGH, 40)).ok());  // evicts 4 (LOW), then 3 (oldest NORMAL)
  EXPECT_EQ(held_seqs(*o), (std::vector<uint64_t>{1, 5, 6, 7}));
  ASSERT_TRUE(o->append(entry(v1::PRIORITY_HIGH, 40)).ok());  // evicts 5 (NORMAL), then 1 (oldest HIGH)
  EXPECT_EQ(held_seqs(*o), (std::vector<uint64_t>{6, 7, 8}));
  EXPECT_EQ(o->floor_seq(), 6u);

  auto s = o->stats();
  EXPECT_EQ(s.dropped_count(v1::PRIORITY_LOW, DropReason::kFull), 2u);
  EXPECT_EQ(s.dropped_count(v1::PRIORITY_NORMAL, DropReason::kFull), 2u);
  EXPECT_EQ(s.dropped_count(v1::PRIORITY_HIGH, DropReason::kFull), 1u);
  EXPECT_EQ(s.dropped_total(), 5u);
  EXPECT_LE(s.bytes, 100u);
  EXPECT_EQ(metrics.counter_value("tw_agent_outbox_dropped_total", {{"priority", "low"}, {"reason", "full"}}), 2u);
  EXPECT_EQ(metrics.counter_value("tw_agent_outbox_dropped_total", {{"priority", "high"}, {"reason", "full"}}), 1u);
}

TEST_P(OutboxContract, RefusesANewcomerRatherThanDropHigherPriorityRows) {
  auto o = make({.max_bytes = 60});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(o->append(entry(v1::PRIORITY_HIGH, 20)).ok());
  auto low = o->append(entry(v1::PRIORITY_LOW, 10));
  ASSERT_FALSE(low.ok());
  EXPECT_EQ(low.error().code, ErrorCode::kTooLarge);
  auto normal = o->append(entry(v1::PRIORITY_NORMAL, 10));
  ASSERT_FALSE(normal.ok());
  EXPECT_EQ(held_seqs(*o), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(o->stats().dropped_count(v1::PRIORITY_LOW, DropReason::kFull), 1u);
  EXPECT_EQ(o->stats().dropped_count(v1::PRIORITY_NORMAL, DropReason::kFull), 1u);
  // A refused append allocates no seq.
  EXPECT_EQ(o->last_seq(), 3u);
  // Bigger than the whole bound: refused whatever its priority.
  EXPECT_FALSE(o->append(entry(v1::PRIORITY_HIGH, 61)).ok());
}

TEST_P(OutboxContract, ExpireDropsRowsOverTheAgeBoundAndCountsThem) {
  auto o = make({.max_age_ms = 60'000});
  ASSERT_TRUE(o->append(entry(v1::PRIORITY_HIGH, 10)).ok());
  ASSERT_TRUE(o->append(entry(v1::PRIORITY_LOW, 10)).ok());
  clock.advance_ms(30'000);
  ASSERT_TRUE(o->append(entry(v1::PRIORITY_NORMAL, 10)).ok());
  EXPECT_EQ(*o->expire(), 0u);
  clock.advance_ms(30'000);
  EXPECT_EQ(*o->expire(), 2u);
  EXPECT_EQ(held_seqs(*o), (std::vector<uint64_t>{3}));
  EXPECT_EQ(o->floor_seq(), 3u);
  EXPECT_EQ(o->stats().dropped_count(v1::PRIORITY_HIGH, DropReason::kAge), 1u);
  EXPECT_EQ(o->stats().dropped_count(v1::PRIORITY_LOW, DropReason::kAge), 1u);
  EXPECT_EQ(metrics.counter_value("tw_agent_outbox_dropped_total", {{"priority", "high"}, {"reason", "age"}}), 1u);
}

TEST_P(OutboxContract, RemembersRecentCommandResultsBounded) {
  auto o = make({.remembered_results = 2});
  for (const char* id : {"c1", "c2", "c3"})
    ASSERT_TRUE(o->append({v1::PRIORITY_HIGH, OutboxChannel::kResult, std::string("result-") + id, id}).ok());
  EXPECT_FALSE(o->recall_result("c1").has_value());  // pushed out by the bound
  auto c3 = o->recall_result("c3");
  ASSERT_TRUE(c3.has_value());
  EXPECT_EQ(c3->seq, 3u);
  EXPECT_EQ(c3->envelope, "result-c3");
  // Acking the row does not forget the result: dedup outlives delivery.
  ASSERT_TRUE(o->ack_up_to(3).ok());
  EXPECT_TRUE(o->recall_result("c2").has_value());
  auto rows = o->pending(0, 10);
  EXPECT_TRUE(rows->empty());
}

TEST_P(OutboxContract, SessionSeqOnlyGrows) {
  auto o = make({});
  EXPECT_EQ(*o->next_session_seq(), 1u);
  EXPECT_EQ(*o->next_session_seq(), 2u);
}

TEST_P(OutboxContract, GaugesFollowRowsAndBytes) {
  auto o = make({});
  ASSERT_TRUE(o->append(entry(v1::PRIORITY_NORMAL, 30)).ok());
  ASSERT_TRUE(o->append(entry(v1::PRIORITY_NORMAL, 20)).ok());
  EXPECT_EQ(metrics.gauge("tw_agent_outbox_rows", "").value(), 2);
  EXPECT_EQ(metrics.gauge("tw_agent_outbox_bytes", "").value(), 50);
  ASSERT_TRUE(o->ack_up_to(1).ok());
  EXPECT_EQ(metrics.gauge("tw_agent_outbox_rows", "").value(), 1);
  EXPECT_EQ(metrics.gauge("tw_agent_outbox_bytes", "").value(), 20);
  EXPECT_EQ(metrics.counter_total("tw_agent_outbox_acked_total"), 1u);
}

INSTANTIATE_TEST_SUITE_P(Both, OutboxContract, ::testing::Values(Kind::kMemory, Kind::kSqlite),
                         [](const auto& param_info) {
                           return param_info.param == Kind::kMemory ? "Memory" : "Sqlite";
                         });

}  // namespace
}  // namespace tidewire::firmware

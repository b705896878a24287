#include "sqlite/sqlite_spool.hpp"

#include <gtest/gtest.h>

#include "tests/edge/edge_test_support.hpp"

namespace tidewire::edge {
namespace {

using testing::ScratchDir;

NewRow row(const std::string& device, uint64_t seq, DropRank rank, size_t size = 100, int64_t received_ms = 1000,
           RowKind kind = RowKind::kEvent) {
  return {device, "boot", seq, kind, rank, received_ms, std::string(size, static_cast<char>('a' + seq % 26))};
}

std::unique_ptr<SqliteSpool> open_spool(const std::string& path, uint64_t max_bytes = 1 << 20) {
  auto s = SqliteSpool::open({path, max_bytes});
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().describe());
  return s.ok() ? std::move(*s) : nullptr;
}

std::vector<uint64_t> seqs(Spool& spool) {
  auto rows = spool.read_after(0, 1000, 1 << 30);
  std::vector<uint64_t> out;
  for (auto& r : *rows) out.push_back(r.row.seq);
  return out;
}

TEST(SqliteSpoolTest, AppendsAndReadsInIdOrder) {
  ScratchDir dir;
  auto spool = open_spool(dir.file("spool.db"));
  SpoolWrite w;
  for (uint64_t s = 1; s <= 5; ++s) w.rows.push_back(row("d1", s, DropRank::kNormal));
  auto r = spool->append(w);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->ids.size(), 5u);
  EXPECT_LT(r->ids[0], r->ids[4]);
  EXPECT_EQ(spool->stats().rows, 5u);
  EXPECT_EQ(spool->stats().bytes, 500u);

  auto first = spool->read_after(0, 2, 1 << 20);
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].row.seq, 1u);
  auto rest = spool->read_after((*first)[1].id, 100, 1 << 20);
  ASSERT_EQ(rest->size(), 3u);
  EXPECT_EQ((*rest)[0].row.seq, 3u);
  EXPECT_EQ((*rest)[0].row.bytes, std::string(100, 'd'));
  // The byte limit stops the read, but never before the first row.
  EXPECT_EQ(spool->read_after(0, 100, 250)->size(), 2u);
  EXPECT_EQ(spool->read_after(0, 100, 1)->size(), 1u);
}

TEST(SqliteSpoolTest, DropsLowThenNormalThenHighOldestFirst) {
  ScratchDir dir;
  // 1 KiB of room, 100-byte rows: 10 fit.
  auto spool = open_spool(dir.file("spool.db"), 1000);
  SpoolWrite w;
  w.rows.push_back(row("d", 1, DropRank::kHigh));
  w.rows.push_back(row("d", 2, DropRank::kLow));
  w.rows.push_back(row("d", 3, DropRank::kNormal));
  w.rows.push_back(row("d", 4, DropRank::kLow));
  for (uint64_t s = 5; s <= 10; ++s) w.rows.push_back(row("d", s, DropRank::kHigh));
  auto r = spool->append(w);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->dropped.total(), 0u);

  SpoolWrite more;
  more.rows.push_back(row("d", 11, DropRank::kHigh));
  r = spool->append(more);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->dropped.by_rank[0], 1u);  // the oldest LOW row: seq 2
  EXPECT_EQ(seqs(*spool), (std::vector<uint64_t>{1, 3, 4, 5, 6, 7, 8, 9, 10, 11}));

  SpoolWrite three;
  for (uint64_t s = 12; s <= 14; ++s) three.rows.push_back(row("d", s, DropRank::kHigh));
  r = spool->append(three);
  ASSERT_TRUE(r.ok());
  // LOW 4, then NORMAL 3, then the oldest HIGH (1).
  EXPECT_EQ(r->dropped.by_rank[0], 1u);
  EXPECT_EQ(r->dropped.by_rank[1], 1u);
  EXPECT_EQ(r->dropped.by_rank[2], 1u);
  EXPECT_EQ(seqs(*spool), (std::vector<uint64_t>{5, 6, 7, 8, 9, 10, 11, 12, 13, 14}));
  EXPECT_LE(spool->stats().bytes, 1000u);
  EXPECT_EQ(spool->stats().rows, 10u);
}

TEST(SqliteSpoolTest, ExpiresRowsByAge) {
  ScratchDir dir;
  auto spool = open_spool(dir.file("spool.db"));
  SpoolWrite w;
  w.rows.push_back(row("d", 1, DropRank::kHigh, 100, 1000));
  w.rows.push_back(row("d", 2, DropRank::kLow, 100, 2000));
  w.rows.push_back(row("d", 3, DropRank::kNormal, 100, 3000));
  w.cursors.push_back({{"old", "b"}, {5, {}, 1000}});
  w.cursors.push_back({{"new", "b"}, {6, {}, 3000}});
  ASSERT_TRUE(spool->append(w).ok());
  auto dropped = spool->expire(2500);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(dropped->by_rank[static_cast<size_t>(DropRank::kHigh)], 1u);
  EXPECT_EQ(dropped->by_rank[static_cast<size_t>(DropRank::kLow)], 1u);
  EXPECT_EQ(seqs(*spool), (std::vector<uint64_t>{3}));
  EXPECT_EQ(spool->stats().rows, 1u);
  EXPECT_EQ(spool->stats().bytes, 100u);
  auto cursors = spool->load_cursors();
  ASSERT_EQ(cursors->size(), 1u);
  EXPECT_EQ((*cursors)[0].key.device, "new");
}

TEST(SqliteSpoolTest, PersistsRowsCursorsAndDevicesAcrossReopen) {
  ScratchDir dir;
  std::vector<int64_t> ids;
  {
    auto spool = open_spool(dir.file("spool.db"));
    SpoolWrite w;
    w.rows.push_back(row("d1", 1, DropRank::kNormal));
    w.rows.push_back(row("d1", 3, DropRank::kNormal));
    w.cursors.push_back({{"d1", "boot"}, {1, {3, 9}, 1234}});
    w.devices.push_back(testing::address("d1", "s1", v1::DEVICE_KIND_RIDER));
    auto r = spool->append(w);
    ASSERT_TRUE(r.ok());
    ids = r->ids;
  }
  auto spool = open_spool(dir.file("spool.db"));
  EXPECT_EQ(spool->stats().rows, 2u);
  EXPECT_EQ(spool->stats().bytes, 200u);
  EXPECT_EQ(spool->stats().max_id, ids.back());
  EXPECT_EQ(seqs(*spool), (std::vector<uint64_t>{1, 3}));
  auto cursors = spool->load_cursors();
  ASSERT_EQ(cursors->size(), 1u);
  EXPECT_EQ((*cursors)[0].key.boot, "boot");
  EXPECT_EQ((*cursors)[0].state.watermark, 1u);
  EXPECT_EQ((*cursors)[0].state.above, (std::set<uint64_t>{3, 9}));
  EXPECT_EQ((*cursors)[0].state.updated_ms, 1234);
  auto devices = spool->load_devices();
  ASSERT_EQ(devices->size(), 1u);
  EXPECT_EQ((*devices)[0].device_id, "d1");
  EXPECT_EQ((*devices)[0].site, "s1");
  EXPECT_EQ((*devices)[0].kind, v1::DEVICE_KIND_RIDER);

  // Ids are never reused, even after the newest row is deleted (they are batch ids).
  ASSERT_TRUE(spool->remove({ids.back()}).ok());
  SpoolWrite w;
  w.rows.push_back(row("d1", 4, DropRank::kNormal));
  auto r = spool->append(w);
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->ids[0], ids.back());
}

TEST(SqliteSpoolTest, StatusIsLatestWinsPerDevice) {
  ScratchDir dir;
  auto spool = open_spool(dir.file("spool.db"));
  auto status = [](const std::string& device, uint64_t marker, size_t size) {
    return row(device, marker, DropRank::kLow, size, 1000, RowKind::kStatus);
  };
  SpoolWrite w;
  w.rows.push_back(status("d1", 1, 100));
  w.rows.push_back(status("d2", 2, 100));
  w.rows.push_back(row("d1", 7, DropRank::kNormal));  // an event is never coalesced
  ASSERT_TRUE(spool->append(w).ok());

  SpoolWrite newer;
  newer.rows.push_back(status("d1", 3, 40));
  auto r = spool->append(newer);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status_replaced, 1u);
  EXPECT_EQ(seqs(*spool), (std::vector<uint64_t>{2, 7, 3}));
  EXPECT_EQ(spool->stats().rows, 3u);
  EXPECT_EQ(spool->stats().bytes, 240u);
}

TEST(SqliteSpoolTest, RemovesExactlyTheGivenIds) {
  ScratchDir dir;
  auto spool = open_spool(dir.file("spool.db"));
  SpoolWrite w;
  for (uint64_t s = 1; s <= 4; ++s) w.rows.push_back(row("d", s, DropRank::kNormal));
  auto r = spool->append(w);
  ASSERT_TRUE(r.ok());
  auto removed = spool->remove({r->ids[1], r->ids[3], 999'999});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 2u);  // the unknown id is ignored
  EXPECT_EQ(seqs(*spool), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(spool->stats().rows, 2u);
  EXPECT_EQ(spool->stats().bytes, 200u);
  EXPECT_EQ(*spool->remove({r->ids[1]}), 0u);  // twice is harmless
}

TEST(SqliteSpoolTest, OpenFailsClearlyOnAnUnwritablePath) {
  auto s = SqliteSpool::open({"/nonexistent-dir/for/sure/spool.db", 1 << 20});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("/nonexistent-dir/for/sure/spool.db"), std::string::npos);
}

}  // namespace
}  // namespace tidewire::edge

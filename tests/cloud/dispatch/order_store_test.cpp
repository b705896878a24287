// SqliteOrderStore with the OrderBook on top: everything survives a restart, pending
// offers still expire at their stored time, and a process killed in the middle of a
// transition leaves the store as it was before it (no order lost, none assigned twice).
#include <sys/wait.h>

#include <csignal>

#include "sqlite/sqlite.hpp"
#include "sqlite/sqlite_order_store.hpp"
#include "tests/cloud/dispatch/order_test_support.hpp"

namespace tidewire::dispatch {
namespace {

using namespace testing;

std::unique_ptr<SqliteOrderStore> open_store(const std::string& path) {
  auto s = SqliteOrderStore::open(path);
  EXPECT_TRUE(s.ok()) << s.error().describe();
  return s.ok() ? std::move(*s) : nullptr;
}

class OrderStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = temp_db(std::string(info->test_suite_name()) + "." + info->name());
    store_ = open_store(path_);
    ASSERT_NE(store_, nullptr);
    bench_ = std::make_unique<Bench>(*store_);
  }
  void TearDown() override {
    bench_.reset();
    store_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  // A new process: fresh store connections, directory and book, the clock where it was.
  void restart() {
    int64_t now = bench_->clock.wall_ms();
    bench_.reset();
    store_.reset();
    store_ = open_store(path_);
    ASSERT_NE(store_, nullptr);
    bench_ = std::make_unique<Bench>(*store_, OrderBookOptions{}, false);
    bench_->clock.advance_ms(now - bench_->clock.wall_ms());
    bench_->restart();
  }
  Bench& b() { return *bench_; }

  std::string path_;
  std::unique_ptr<SqliteOrderStore> store_;
  std::unique_ptr<Bench> bench_;
};

TEST_F(OrderStoreTest, EveryStateAndTheIdempotencyKeysSurviveARestart) {
  for (const char* id : {"o1", "o2", "o3", "o4", "o5", "o6"}) b().place(id, std::string("key-") + id);
  b().offer("rider-2", {"o2"});  // o2 stays offered
  auto o3 = b().offer("rider-3", {"o3"});
  ASSERT_TRUE(b().book.answer(o3, "rider-3", true).ok());
  auto o4 = b().offer("rider-4", {"o4"});
  ASSERT_TRUE(b().book.answer(o4, "rider-4", true).ok());
  ASSERT_TRUE(b().book.pick_up({"o4", "rider-4", true, 52.52, 13.40}).ok());
  auto o5 = b().offer("rider-5", {"o5"});
  ASSERT_TRUE(b().book.answer(o5, "rider-5", true).ok());
  ASSERT_TRUE(b().book.pick_up({"o5", "rider-5", false, 0, 0}).ok());
  ASSERT_TRUE(b().book.deliver({"o5", "rider-5", true, 52.53, 13.42}).ok());
  ASSERT_TRUE(b().book.cancel("o6", "closed early").ok());
  auto declined = b().offer("rider-9", {"o1"});
  ASSERT_TRUE(b().book.answer(declined, "rider-9", false).ok());  // o1 waiting again, rider-9 excluded

  const std::vector<std::string> ids{"o1", "o2", "o3", "o4", "o5", "o6"};
  std::map<std::string, std::string> before;
  for (const auto& id : ids) before[id] = b().book.view(id)->SerializeAsString();
  std::string observable_open = b().observable({"o1", "o2", "o3", "o4"});
  restart();

  EXPECT_EQ(b().merchants.size(), 1u);
  ASSERT_NE(b().merchants.find("m-pizza"), nullptr);
  EXPECT_EQ(*b().merchants.find("m-pizza"), pizza());
  for (const auto& id : ids) {
    auto v = b().book.view(id);
    ASSERT_TRUE(v.ok()) << id << ": " << v.error().describe();
    EXPECT_EQ(v->SerializeAsString(), before[id]) << id;
  }
  EXPECT_EQ(b().observable({"o1", "o2", "o3", "o4"}), observable_open);
  EXPECT_EQ(b().book.find("o5"), nullptr);  // closed orders are not loaded, only read
  EXPECT_EQ(b().book.count(OrderState::kDelivered), 1u);
  EXPECT_EQ(b().book.count(OrderState::kCancelled), 1u);
  EXPECT_EQ(b().book.offer_count(OfferState::kDeclined), 1u);
  EXPECT_EQ(b().book.pending_offer_of_rider("rider-2")->legs.at(0).order_id, "o2");
  EXPECT_EQ(b().book.orders_of_rider("rider-4").at(0)->order_id, "o4");
  EXPECT_TRUE(b().book.find("o1")->excludes("rider-9"));

  // Keys and ids still hold after the restart, for open and closed orders alike.
  auto retry = b().book.create(request("o5", kT0), "key-o5");
  ASSERT_TRUE(retry.ok()) << retry.error().describe();
  EXPECT_TRUE(retry->transition.duplicate);
  EXPECT_EQ(retry->order.state, OrderState::kDelivered);
  EXPECT_EQ(reject_reason(b().book.create(request("o1", kT0), "other-key").error()), "duplicate_order_id");
  // Offer ids continue where they stopped.
  EXPECT_EQ(b().offer("rider-1", {"o1"}), "offer-6");
}

TEST_F(OrderStoreTest, APendingOfferStillExpiresAtItsStoredTimeAfterARestart) {
  b().place("o1");
  auto id = b().offer("rider-1", {"o1"});
  b().clock.advance_ms(10'000);
  restart();
  ASSERT_NE(b().book.pending_offer(id), nullptr);
  EXPECT_EQ(b().book.next_offer_expiry_ms(), kT0 + OrderBookOptions{}.offer_timeout_ms);
  b().clock.advance_ms(OrderBookOptions{}.offer_timeout_ms - 10'000);
  auto t = b().book.expire_offers();
  ASSERT_TRUE(t.ok()) << t.error().describe();
  EXPECT_TRUE(has_notification(*t, Audience::kRider, "rider-1", "offer_timed_out"));
  EXPECT_EQ(b().state("o1"), OrderState::kCreated);
  restart();
  EXPECT_EQ(b().state("o1"), OrderState::kCreated);
  EXPECT_EQ(b().book.pending_offer_count(), 0u);
  EXPECT_EQ(reject_reason(b().book.answer(id, "rider-1", true).error()), "offer_expired");
}

// The child is killed with SIGKILL inside a transition's transaction, after an earlier
// transition was acknowledged: the acknowledged one is kept, the interrupted one is not.
TEST_F(OrderStoreTest, KillNineInsideATransitionLosesNothingAcknowledgedAndAssignsNothing) {
  b().place("o1");
  auto id = b().offer("rider-1", {"o1"});
  bench_.reset();
  store_.reset();

  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = SqliteOrderStore::open(path_);
    if (!store.ok()) ::_exit(3);
    Bench bench(**store, OrderBookOptions{}, false);
    bench.restart();
    if (!bench.book.create(request("o2", kT0), "key-o2").ok()) ::_exit(4);  // acknowledged
    (*store)->set_before_commit_ForTest([]() -> Status {
      ::raise(SIGKILL);
      return {};
    });
    (void)bench.book.answer(id, "rider-1", true);
    ::_exit(5);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);

  store_ = open_store(path_);
  ASSERT_NE(store_, nullptr);
  bench_ = std::make_unique<Bench>(*store_, OrderBookOptions{}, false);
  b().restart();
  EXPECT_EQ(b().state("o2"), OrderState::kCreated);
  EXPECT_EQ(b().state("o1"), OrderState::kOffered);
  EXPECT_TRUE(b().book.find("o1")->rider_id.empty());
  ASSERT_NE(b().book.pending_offer(id), nullptr);

  // The rider's answer, re-sent after the restart, assigns exactly once.
  ASSERT_TRUE(b().book.answer(id, "rider-1", true).ok());
  restart();
  EXPECT_EQ(b().state("o1"), OrderState::kAssigned);
  EXPECT_EQ(b().book.pending_offer_count(), 0u);
  auto again = b().book.answer(id, "rider-1", true);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(b().book.count(OrderState::kAssigned), 1u);
  EXPECT_EQ(b().book.offer_count(OfferState::kAccepted), 1u);
}

TEST_F(OrderStoreTest, AnAbortedWriteLeavesBookAndStoreUnchanged) {
  b().place("o1");
  auto id = b().offer("rider-1", {"o1"});
  std::string before = b().observable({"o1"});
  store_->set_before_commit_ForTest([] { return Status(make_error(ErrorCode::kIo, "disk full")); });
  auto t = b().book.answer(id, "rider-1", true);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::kIo);
  EXPECT_EQ(b().observable({"o1"}), before);
  store_->set_before_commit_ForTest(nullptr);
  restart();
  EXPECT_EQ(b().observable({"o1"}), before);
}

TEST_F(OrderStoreTest, ANewOpenerSeesEveryCommittedTransitionWhileTheOldIsNeverClosed) {
  b().place("o1", "key-1");
  auto id = b().offer("rider-1", {"o1"});
  ASSERT_TRUE(b().book.answer(id, "rider-1", true).ok());
  // The old connections stay open, never closed or checkpointed (as in a crash), while
  // new ones read the file: everything committed is there.
  bench_.reset();
  std::unique_ptr<SqliteOrderStore> abandoned = std::move(store_);
  store_ = open_store(path_);
  ASSERT_NE(store_, nullptr);
  bench_ = std::make_unique<Bench>(*store_, OrderBookOptions{}, false);
  b().restart();
  EXPECT_EQ(b().state("o1"), OrderState::kAssigned);
  EXPECT_EQ(b().book.find("o1")->rider_id, "rider-1");
}

TEST_F(OrderStoreTest, PointReadsAndTheirAbsence) {
  b().place("o1", "key-1");
  auto by_key = store_->find_order_by_key("key-1");
  ASSERT_TRUE(by_key.ok() && by_key->has_value());
  EXPECT_EQ((*by_key)->order_id, "o1");
  EXPECT_EQ((*by_key)->request_fingerprint, b().book.find("o1")->request_fingerprint);
  EXPECT_FALSE(store_->find_order_by_key("key-2")->has_value());
  EXPECT_FALSE(store_->find_order("o2")->has_value());
  EXPECT_FALSE(store_->find_offer("offer-1")->has_value());
  auto id = b().offer("rider-1", {"o1"});
  auto offer = store_->find_offer(id);
  ASSERT_TRUE(offer.ok() && offer->has_value());
  EXPECT_EQ((*offer)->state, OfferState::kPending);
  EXPECT_EQ((*offer)->seq, 1u);
}

TEST_F(OrderStoreTest, ANewerSchemaIsRefusedWithAClearError) {
  bench_.reset();
  store_.reset();
  {
    auto db = sqlite::Database::open(path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->exec("UPDATE dispatch_meta SET value = 99 WHERE key = 'schema_version'").ok());
  }
  auto reopened = SqliteOrderStore::open(path_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(reopened.error().message.find("newer than this build"), std::string::npos) << reopened.error().message;
}

}  // namespace
}  // namespace tidewire::dispatch

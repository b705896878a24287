// PushService over a real SQLite file, a FakeTransport for MQTT and a ManualClock: what is
// persisted, sent, re-sent, expired, collapsed, receipted and synced.
#include "tidewire/push/push_service.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <thread>

#include "sqlite/sqlite_push_store.hpp"
#include "tests/fakes/fake_transport.hpp"
#include "tidewire/protocols/topics.hpp"

namespace tidewire::push {
namespace {

std::string temp_db() {
  static int n = 0;
  auto dir = std::filesystem::temp_directory_path() / ("tw-push-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / ("push-" + std::to_string(++n) + ".db")).string();
}

class PushServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = temp_db();
    open();
    mqtt_.set_connected(true);
  }
  void open() {
    service_.reset();
    auto s = SqlitePushStore::open(path_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    service_ = std::make_unique<PushService>(*store_, mqtt_, nullptr, clock_, random_, metrics_, options_);
  }
  void add(const std::string& id, std::vector<std::string> tags = {}) {
    v1::Recipient r;
    r.set_kind(v1::RECIPIENT_KIND_RIDER);
    for (auto& t : tags) r.add_tags(t);
    ASSERT_TRUE(service_->put_recipient(id, r).ok());
  }
  v1::PushRequest request(std::vector<std::string> ids, const std::string& title = "Order o1") {
    v1::PushRequest p;
    for (auto& id : ids) p.add_recipient_ids(id);
    p.set_title(title);
    p.set_body("Your rider is on the way");
    return p;
  }
  std::vector<v1::PushDelivery> inbox_of(const std::string& id) {
    std::vector<v1::PushDelivery> out;
    for (const auto& m : mqtt_.sent_on(*topics::push_topic(id, topics::PushChannel::kInbox))) {
      v1::PushDelivery d;
      EXPECT_TRUE(d.ParseFromString(m.payload));
      out.push_back(d);
    }
    return out;
  }
  void receipt(const std::string& recipient, const std::string& nid, v1::ReceiptKind kind) {
    v1::PushReceipt r;
    r.set_notification_id(nid);
    r.set_kind(kind);
    service_->on_message(
        {*topics::push_topic(recipient, topics::PushChannel::kReceipt), r.SerializeAsString(), 1, false});
    service_->tick();  // uplink messages are handled on the service's own turn
  }
  v1::DeliveryState state_of(const std::string& nid, const std::string& recipient) {
    auto v = service_->view(nid);
    EXPECT_TRUE(v.ok());
    for (const auto& d : v->deliveries())
      if (d.recipient_id() == recipient) return d.state();
    return v1::DELIVERY_STATE_UNSPECIFIED;
  }
  uint64_t rejects(const char* where, const char* reason) {
    return metrics_.counter_value("tw_push_rejects_total", {{"where", where}, {"reason", reason}});
  }

  std::string path_;
  PushOptions options_;
  ManualClock clock_;
  SeededRandom random_{7};
  MetricsRegistry metrics_;
  testing::FakeTransport mqtt_;
  std::unique_ptr<PushStore> store_;
  std::unique_ptr<PushService> service_;
};

TEST_F(PushServiceTest, RecipientsAreValidatedAndCreatedThenUpdated) {
  v1::Recipient r;
  EXPECT_FALSE(service_->put_recipient("a", r).ok());  // no kind
  r.set_kind(v1::RECIPIENT_KIND_OPERATOR);
  r.add_tags("bad tag");
  EXPECT_FALSE(service_->put_recipient("a", r).ok());
  r.clear_tags();
  r.set_webhook_url("https://example.test/hook");
  EXPECT_FALSE(service_->put_recipient("a", r).ok());  // https is not supported yet: said clearly
  r.clear_webhook_url();
  r.set_recipient_id("b");
  EXPECT_FALSE(service_->put_recipient("a", r).ok());  // the body names another id
  r.clear_recipient_id();
  auto created = service_->put_recipient("a", r);
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(created->second);
  auto updated = service_->put_recipient("a", r);
  ASSERT_TRUE(updated.ok());
  EXPECT_FALSE(updated->second);
  EXPECT_TRUE(service_->delete_recipient("a").ok());
  EXPECT_EQ(service_->recipient("a").error().code, ErrorCode::kNotFound);
}

TEST_F(PushServiceTest, APushIsStoredBeforeItIsAnsweredAndSentOnTheNextTick) {
  add("rider-1");
  auto accepted = service_->push(request({"rider-1"}), "");
  ASSERT_TRUE(accepted.ok()) << accepted.error().message;
  EXPECT_EQ(accepted->recipients(), 1u);
  EXPECT_TRUE(inbox_of("rider-1").empty());
  // A new process over the same file still has it, and sends it.
  open();
  service_->tick();
  auto inbox = inbox_of("rider-1");
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(inbox[0].notification_id(), accepted->notification_id());
  EXPECT_EQ(inbox[0].inbox_seq(), 1u);
  EXPECT_EQ(inbox[0].title(), "Order o1");
  EXPECT_EQ(state_of(accepted->notification_id(), "rider-1"), v1::DELIVERY_STATE_SENT);
}

TEST_F(PushServiceTest, BadRequestsAreRefusedClearlyAndCounted) {
  add("rider-1");
  auto unknown = service_->push(request({"rider-1", "ghost"}), "");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().reason, "unknown_recipient");
  EXPECT_NE(unknown.error().message.find("ghost"), std::string::npos) << unknown.error().message;
  auto empty = request({"rider-1"});
  empty.set_body("");
  EXPECT_FALSE(service_->push(empty, "").ok());
  auto big = request({"rider-1"});
  big.set_body(std::string(5000, 'x'));
  EXPECT_FALSE(service_->push(big, "").ok());
  auto ttl = request({"rider-1"});
  ttl.set_ttl_s(30 * 24 * 3600);
  EXPECT_FALSE(service_->push(ttl, "").ok());
  EXPECT_FALSE(service_->push(request({}), "").ok());
  EXPECT_EQ(rejects("api", "unknown_recipient"), 1u);
  EXPECT_EQ(rejects("api", "invalid_body"), 2u);
  EXPECT_EQ(rejects("api", "invalid_ttl"), 1u);
  EXPECT_EQ(rejects("api", "no_recipients"), 1u);
  service_->tick();
  EXPECT_TRUE(mqtt_.sent.empty());  // nothing was queued by any of them
}

TEST_F(PushServiceTest, AnIdempotencyKeyMakesRetriesSafe) {
  add("rider-1");
  auto first = service_->push(request({"rider-1"}), "k-1");
  auto again = service_->push(request({"rider-1"}), "k-1");
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->notification_id(), first->notification_id());
  auto other = service_->push(request({"rider-1"}, "another title"), "k-1");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kConflict);
  service_->tick();
  EXPECT_EQ(inbox_of("rider-1").size(), 1u);
}

TEST_F(PushServiceTest, UnreceiptedNotificationsAreResentWithBackoffAndReceiptsStopThat) {
  add("a");
  add("b");
  auto n = service_->push(request({"a", "b"}), "");
  ASSERT_TRUE(n.ok());
  service_->tick();
  receipt("a", n->notification_id(), v1::RECEIPT_KIND_DELIVERED);
  EXPECT_EQ(state_of(n->notification_id(), "a"), v1::DELIVERY_STATE_DELIVERED);
  clock_.advance_ms(options_.retry_base_ms / 2 - 1);  // below the first delay's floor
  service_->tick();
  EXPECT_EQ(inbox_of("b").size(), 1u);
  clock_.advance_ms(options_.retry_base_ms);
  service_->tick();
  EXPECT_EQ(inbox_of("b").size(), 2u);  // re-sent: no receipt yet
  EXPECT_EQ(inbox_of("a").size(), 1u);  // receipted: never again
  receipt("b", n->notification_id(), v1::RECEIPT_KIND_OPENED);
  EXPECT_EQ(state_of(n->notification_id(), "b"), v1::DELIVERY_STATE_OPENED);
  receipt("b", n->notification_id(), v1::RECEIPT_KIND_OPENED);  // repeated: absorbed
  EXPECT_EQ(metrics_.counter_value("tw_push_receipts_total", {{"kind", "duplicate"}}), 1u);
}

TEST_F(PushServiceTest, ReceiptsForNotificationsNeverSentToThatRecipientChangeNothing) {
  add("a");
  add("b");
  auto n = service_->push(request({"a"}), "");
  service_->tick();
  receipt("b", n->notification_id(), v1::RECEIPT_KIND_DELIVERED);
  receipt("a", "n-does-not-exist", v1::RECEIPT_KIND_DELIVERED);
  service_->on_message({*topics::push_topic("a", topics::PushChannel::kReceipt), "\xff\xff garbage", 1, false});
  service_->tick();
  EXPECT_EQ(rejects("receipt", "unknown_delivery"), 2u);
  EXPECT_EQ(rejects("receipt", "malformed"), 1u);
  EXPECT_EQ(state_of(n->notification_id(), "a"), v1::DELIVERY_STATE_SENT);
}

TEST_F(PushServiceTest, TtlEndsRetriesAndARecipientThatNeverReceiptsIsMarkedSilent) {
  options_.silent_after = 2;
  open();
  add("mute");
  for (int i = 0; i < 2; ++i) {
    auto p = request({"mute"});
    p.set_ttl_s(60);
    ASSERT_TRUE(service_->push(p, "").ok());
  }
  service_->tick();
  clock_.advance_ms(61'000);
  service_->tick();
  auto r = service_->recipient("mute");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->silent());
  EXPECT_EQ(r->unreceipted_streak(), 2u);
  EXPECT_EQ(metrics_.counter_value("tw_push_expired_total", {}), 2u);
  size_t sent = mqtt_.sent.size();
  clock_.advance_ms(3'600'000);
  service_->tick();
  EXPECT_EQ(mqtt_.sent.size(), sent);  // expired: never sent again
}

TEST_F(PushServiceTest, ACollapseKeyReplacesTheUndeliveredOlderNotification) {
  add("c");
  auto p = request({"c"});
  p.set_collapse_key("eta-o1");
  auto older = service_->push(p, "");
  p.set_body("Rider 2 min away");
  auto newer = service_->push(p, "");
  ASSERT_TRUE(older.ok() && newer.ok());
  EXPECT_EQ(state_of(older->notification_id(), "c"), v1::DELIVERY_STATE_COLLAPSED);
  service_->tick();
  auto inbox = inbox_of("c");
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(inbox[0].body(), "Rider 2 min away");
}

TEST_F(PushServiceTest, HighPriorityGoesFirst) {
  options_.send_batch = 1;
  open();
  add("d");
  ASSERT_TRUE(service_->push(request({"d"}, "normal"), "").ok());
  auto high = request({"d"}, "urgent");
  high.set_priority(v1::PUSH_PRIORITY_HIGH);
  ASSERT_TRUE(service_->push(high, "").ok());
  service_->tick();
  auto inbox = inbox_of("d");
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(inbox[0].title(), "urgent");
}

TEST_F(PushServiceTest, AnAppThatSyncsGetsWhatItMissedInOrder) {
  add("e");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(service_->push(request({"e"}, "n" + std::to_string(i)), "")->notification_id());
  service_->tick();
  mqtt_.sent.clear();
  v1::InboxSync sync;
  sync.set_after_seq(1);
  service_->on_message({*topics::push_topic("e", topics::PushChannel::kSync), sync.SerializeAsString(), 1, false});
  service_->tick();
  auto inbox = inbox_of("e");
  ASSERT_EQ(inbox.size(), 2u);
  EXPECT_EQ(inbox[0].notification_id(), ids[1]);
  EXPECT_EQ(inbox[1].notification_id(), ids[2]);
  EXPECT_TRUE(inbox[0].from_sync());
  EXPECT_LT(inbox[0].inbox_seq(), inbox[1].inbox_seq());
}

TEST_F(PushServiceTest, ATagFanOutIsExpandedInChunksAndResumesAfterARestartWithoutDoubles) {
  options_.fanout_chunk = 10;
  options_.rate_per_recipient_s = 1000;
  open();
  for (int i = 0; i < 25; ++i) add("t" + std::to_string(100 + i), {"city.sh"});
  add("other", {"city.bj"});
  v1::PushRequest p = request({});
  p.add_tags("city.sh");
  auto n = service_->push(p, "");
  ASSERT_TRUE(n.ok());
  service_->tick();
  EXPECT_EQ(service_->view(n->notification_id())->recipients(), 10u);
  EXPECT_FALSE(service_->view(n->notification_id())->fanout_done());
  open();  // a restart in the middle of the fan-out
  for (int i = 0; i < 3; ++i) service_->tick();
  auto v = service_->view(n->notification_id());
  EXPECT_EQ(v->recipients(), 25u);
  EXPECT_TRUE(v->fanout_done());
  for (int i = 0; i < 25; ++i) EXPECT_EQ(inbox_of("t" + std::to_string(100 + i)).size(), 1u) << i;
  EXPECT_TRUE(inbox_of("other").empty());
}

TEST_F(PushServiceTest, ThePerRecipientRateLimitSpreadsABurst) {
  options_.burst_per_recipient = 2;
  options_.rate_per_recipient_s = 1;
  open();
  add("f");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(service_->push(request({"f"}, "n" + std::to_string(i)), "").ok());
  service_->tick();
  EXPECT_EQ(inbox_of("f").size(), 2u);
  clock_.advance_ms(1'000);
  service_->tick();
  EXPECT_EQ(inbox_of("f").size(), 3u);
  EXPECT_GE(metrics_.counter_value("tw_push_rate_limited_total", {}), 1u);
}

TEST_F(PushServiceTest, WhileTheBrokerIsDownNothingIsLostOrCountedAsAnAttempt) {
  add("g");
  auto n = service_->push(request({"g"}), "");
  mqtt_.set_connected(false);
  service_->tick();
  EXPECT_EQ(state_of(n->notification_id(), "g"), v1::DELIVERY_STATE_QUEUED);
  mqtt_.set_connected(true);
  clock_.advance_ms(options_.retry_base_ms);
  service_->tick();
  EXPECT_EQ(inbox_of("g").size(), 1u);
  auto v = service_->view(n->notification_id());
  EXPECT_EQ(v->deliveries(0).attempts(), 1u);
}

// Many HTTP threads posting at once share commits. Whatever group a request lands in,
// an accepted push has exactly its rows, a refused one (unknown recipient) leaves none
// behind, and retries of one key from different threads all name the same notification.
TEST_F(PushServiceTest, ConcurrentPostsShareCommitsWithoutMixingTheirOutcomes) {
  options_.burst_per_recipient = 1000;  // r0's whole inbox in one tick
  open();
  for (int i = 0; i < 8; ++i) add("r" + std::to_string(i));
  constexpr int kThreads = 8, kEach = 40;
  std::vector<std::vector<std::string>> accepted(kThreads);
  std::vector<std::vector<std::string>> keyed(kThreads);
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (i % 10 == 3) {  // names a recipient that does not exist, with a good one
          auto r = service_->push(request({"r0", "ghost"}, "t" + std::to_string(t) + "-" + std::to_string(i)), "");
          if (!r.ok() && r.error().code == ErrorCode::kInvalidArgument) refused.fetch_add(1);
          continue;
        }
        if (i % 10 == 5) {  // every thread retries the same key with the same body
          auto r = service_->push(request({"r1"}, "shared"), "shared-key-" + std::to_string(i));
          ASSERT_TRUE(r.ok()) << r.error().message;
          keyed[static_cast<size_t>(t)].push_back(r->notification_id());
          continue;
        }
        auto r =
            service_->push(request({"r" + std::to_string(t)}, "t" + std::to_string(t) + "-" + std::to_string(i)), "");
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_FALSE(r->duplicate());
        EXPECT_EQ(r->recipients(), 1u);
        accepted[static_cast<size_t>(t)].push_back(r->notification_id());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(refused.load(), kThreads * kEach / 10);
  for (int i = 5; i < kEach; i += 10) {
    std::set<std::string> ids;
    for (int t = 0; t < kThreads; ++t) ids.insert(keyed[static_cast<size_t>(t)][static_cast<size_t>(i / 10)]);
    EXPECT_EQ(ids.size(), 1u) << "key shared-key-" << i << " named " << ids.size() << " notifications";
  }
  std::set<std::string> all;
  for (int t = 0; t < kThreads; ++t) {
    for (const auto& nid : accepted[static_cast<size_t>(t)]) {
      all.insert(nid);
      auto v = service_->view(nid);
      ASSERT_TRUE(v.ok()) << nid;
      ASSERT_EQ(v->deliveries_size(), 1);
      EXPECT_EQ(v->deliveries(0).recipient_id(), "r" + std::to_string(t));
    }
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach * 8 / 10));
  // r0 got its own thread's pushes only: the refused pushes that also named r0 left nothing.
  service_->tick();
  EXPECT_EQ(inbox_of("r0").size(), accepted[0].size());
  EXPECT_EQ(metrics_.counter_value("tw_push_requests_total", {{"result", "accepted"}}),
            all.size() + kEach / 10);  // plus one per shared key
  EXPECT_EQ(metrics_.counter_value("tw_push_requests_total", {{"result", "duplicate"}}),
            static_cast<uint64_t>((kThreads - 1) * kEach / 10));
}

}  // namespace
}  // namespace tidewire::push

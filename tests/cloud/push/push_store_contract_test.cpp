// PushStoreContract: what tidewire/push/push_store.hpp promises, run against every backend,
// each opened by its store URL through open_push_store() as the push module opens it.
// The backends are tests/cloud/store_backends.hpp's.
#include <gtest/gtest.h>

#include <map>

#include "open_push_store.hpp"
#include "tests/cloud/push/push_store_test_support.hpp"
#include "tests/cloud/store_backends.hpp"
#include "tidewire/push/push_store.hpp"

namespace tidewire::push {
namespace {

using testing::key_of;
using testing::notification;
using testing::recipient;

class PushStoreContract : public ::testing::TestWithParam<cloud::testing::StoreBackend> {
 protected:
  void SetUp() override {
    url_ = cloud::testing::fresh_store_url(GetParam());
    reopen();
  }
  // Another process's view: a fresh store on the same URL.
  void reopen() {
    store_.reset();
    auto s = open_push_store(url_);
    ASSERT_TRUE(s.ok()) << s.error().describe();
    store_ = std::move(*s);
  }
  PushStore& s() { return *store_; }
  // Queues `n` (inserting it) to `ids` in a transaction of its own; the new deliveries.
  size_t queue(const StoredNotification& n, const std::vector<std::string>& ids, int64_t now_ms = 1'000) {
    auto added = s().queue(n, ids, now_ms, true);
    EXPECT_TRUE(added.ok()) << added.error().describe();
    return added.ok() ? *added : 0;
  }
  Delivery delivery(const std::string& nid, const std::string& rid) {
    auto d = s().delivery(nid, rid);
    EXPECT_TRUE(d.ok() && d->has_value()) << nid << " to " << rid;
    return d.ok() && *d ? **d : Delivery{};
  }
  void set_state(const std::string& nid, const std::string& rid, v1::DeliveryState state, int64_t next_ms = 0) {
    Delivery d = delivery(nid, rid);
    d.state = state;
    if (next_ms) d.next_ms = next_ms;
    ASSERT_TRUE(s().update(d).ok());
  }
  std::vector<std::string> tagged(const std::vector<std::string>& tags, const std::string& after, size_t limit) {
    auto ids = s().recipients_with_tags(tags, after, limit);
    EXPECT_TRUE(ids.ok()) << ids.error().describe();
    return ids.ok() ? *ids : std::vector<std::string>{};
  }

  cloud::StoreUrl url_;
  PushStorePtr store_;
};

TEST_P(PushStoreContract, RecipientsAreStoredReplacedWithTheirTagsAndDeleted) {
  EXPECT_FALSE(s().recipient("r1")->has_value());
  auto r1 = recipient("r1", {"a", "b"});
  r1.set_webhook_url("http://hooks.test/r1");
  ASSERT_TRUE(s().put_recipient(r1).ok());
  ASSERT_TRUE(s().recipient("r1")->has_value());
  EXPECT_EQ((*s().recipient("r1"))->SerializeAsString(), r1.SerializeAsString());

  ASSERT_TRUE(s().put_recipient(recipient("r1", {"c"})).ok());  // the tags are replaced, not added
  EXPECT_TRUE(tagged({"a", "b"}, "", 10).empty());
  EXPECT_EQ(tagged({"c"}, "", 10), std::vector<std::string>{"r1"});
  EXPECT_TRUE((*s().recipient("r1"))->webhook_url().empty());

  EXPECT_TRUE(*s().delete_recipient("r1"));
  EXPECT_FALSE(*s().delete_recipient("r1"));
  EXPECT_FALSE(s().recipient("r1")->has_value());
  EXPECT_TRUE(tagged({"c"}, "", 10).empty());
}

TEST_P(PushStoreContract, SetStreakChangesOnlyTheStreakAndTheSilentMark) {
  ASSERT_TRUE(s().put_recipient(recipient("r1", {"ops"})).ok());
  ASSERT_TRUE(s().set_streak("r1", 4, true).ok());
  auto r = *s().recipient("r1");
  EXPECT_EQ(r->unreceipted_streak(), 4u);
  EXPECT_TRUE(r->silent());
  EXPECT_EQ(r->tags_size(), 1);
  EXPECT_EQ(tagged({"ops"}, "", 10), std::vector<std::string>{"r1"});
  EXPECT_TRUE(s().set_streak("nobody", 1, false).ok());
  EXPECT_FALSE(s().recipient("nobody")->has_value());
}

TEST_P(PushStoreContract, TagFanOutPagesThroughDistinctIdsInAscendingOrder) {
  for (const char* id : {"r5", "r2", "r7", "r1", "r4"}) ASSERT_TRUE(s().put_recipient(recipient(id, {"a", "b"})).ok());
  ASSERT_TRUE(s().put_recipient(recipient("r3", {"b"})).ok());
  ASSERT_TRUE(s().put_recipient(recipient("r6", {"other"})).ok());
  EXPECT_EQ(tagged({"a", "b"}, "", 3), (std::vector<std::string>{"r1", "r2", "r3"}));
  EXPECT_EQ(tagged({"a", "b"}, "r3", 3), (std::vector<std::string>{"r4", "r5", "r7"}));
  EXPECT_TRUE(tagged({"a", "b"}, "r7", 3).empty());
  EXPECT_EQ(tagged({"a"}, "r1", 10), (std::vector<std::string>{"r2", "r4", "r5", "r7"}));
}

TEST_P(PushStoreContract, QueueWritesTheNotificationAndOneDeliveryPerNewPair) {
  auto n1 = notification("n1", {.priority = v1::PUSH_PRIORITY_HIGH,
                                .collapse_key = "order-1",
                                .expires_ms = 9'000,
                                .key = "key-1",
                                .tags = {"riders"}});
  EXPECT_EQ(queue(n1, {"r1", "r2"}, 1'000), 2u);
  auto stored = *s().notification("n1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->request.SerializeAsString(), n1.request.SerializeAsString());
  EXPECT_EQ(stored->created_ms, n1.created_ms);
  EXPECT_EQ(stored->expires_ms, 9'000);
  EXPECT_EQ(stored->idempotency_key, "key-1");
  EXPECT_EQ(stored->fingerprint, n1.fingerprint);
  EXPECT_FALSE(stored->fanout_done);

  Delivery d = delivery("n1", "r2");
  EXPECT_EQ(d.state, v1::DELIVERY_STATE_QUEUED);
  EXPECT_EQ(d.attempts, 0u);
  EXPECT_EQ(d.next_ms, 1'000);
  EXPECT_EQ(d.queued_ms, 1'000);
  EXPECT_EQ(d.priority, 1);
  EXPECT_EQ(d.expires_ms, 9'000);
  EXPECT_EQ(d.collapse_key, "order-1");
  EXPECT_EQ(d.inbox_seq, 1u);

  // A resumed fan-out: only the cursor and the pairs not queued yet are written.
  n1.fanout_cursor = "r3";
  n1.fanout_done = true;
  auto resumed = s().queue(n1, {"r2", "r3"}, 2'000, false);
  ASSERT_TRUE(resumed.ok()) << resumed.error().describe();
  EXPECT_EQ(*resumed, 1u);
  EXPECT_EQ(delivery("n1", "r2").queued_ms, 1'000);
  EXPECT_EQ((*s().notification("n1"))->fanout_cursor, "r3");
  EXPECT_TRUE((*s().notification("n1"))->fanout_done);

  // Each recipient's inbox numbers its deliveries 1, 2, ...
  EXPECT_EQ(queue(notification("n2", {}), {"r1", "r3"}), 2u);
  EXPECT_EQ(delivery("n2", "r1").inbox_seq, 2u);
  EXPECT_EQ(delivery("n2", "r3").inbox_seq, 2u);
  EXPECT_EQ(delivery("n2", "r1").priority, 0);
}

TEST_P(PushStoreContract, ACollapseKeyReplacesOnlyLiveDeliveriesWithTheSameKey) {
  queue(notification("old", {.collapse_key = "order-1"}), {"r1", "r2"});
  queue(notification("other", {.collapse_key = "order-2"}), {"r1"});
  queue(notification("plain-1", {}), {"r1"});
  set_state("old", "r2", v1::DELIVERY_STATE_DELIVERED);
  queue(notification("new", {.collapse_key = "order-1"}), {"r1", "r2"}, 5'000);
  queue(notification("plain-2", {}), {"r1"}, 5'000);

  Delivery replaced = delivery("old", "r1");
  EXPECT_EQ(replaced.state, v1::DELIVERY_STATE_COLLAPSED);
  EXPECT_EQ(replaced.ended_ms, 5'000);
  EXPECT_EQ(replaced.detail, "replaced by new");
  EXPECT_EQ(delivery("old", "r2").state, v1::DELIVERY_STATE_DELIVERED);  // already received
  EXPECT_EQ(delivery("other", "r1").state, v1::DELIVERY_STATE_QUEUED);
  EXPECT_EQ(delivery("plain-1", "r1").state, v1::DELIVERY_STATE_QUEUED);  // no key collapses nothing
  EXPECT_EQ(delivery("new", "r1").state, v1::DELIVERY_STATE_QUEUED);
}

TEST_P(PushStoreContract, PendingFanOutsAreOldestFirstUntilDone) {
  queue(notification("late", {.created_ms = 200, .tags = {"t"}}), {});
  queue(notification("early", {.created_ms = 100, .tags = {"t"}}), {});
  queue(notification("direct", {.created_ms = 50}), {"r1"});
  auto pending = s().pending_fanouts(10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].id, "early");
  EXPECT_EQ((*pending)[1].id, "late");
  EXPECT_EQ(s().pending_fanouts(1)->size(), 1u);

  auto early = (*pending)[0];
  early.fanout_cursor = "r9";
  early.fanout_done = true;
  ASSERT_TRUE(s().queue(early, {}, 2'000, false).ok());
  pending = s().pending_fanouts(10);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].id, "late");
}

TEST_P(PushStoreContract, DueIsHighPriorityFirstThenByNextSendTime) {
  queue(notification("normal-10", {}), {"r1"}, 10);
  queue(notification("high-30", {.priority = v1::PUSH_PRIORITY_HIGH}), {"r1"}, 30);
  queue(notification("normal-20", {}), {"r1"}, 20);
  queue(notification("sent-25", {}), {"r2"}, 5);
  set_state("sent-25", "r2", v1::DELIVERY_STATE_SENT, 25);
  queue(notification("received", {}), {"r2"}, 1);
  set_state("received", "r2", v1::DELIVERY_STATE_DELIVERED);
  queue(notification("later", {.priority = v1::PUSH_PRIORITY_HIGH}), {"r3"}, 500);

  auto due = s().due(100, 10);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(key_of(*due), (std::vector<std::string>{"high-30/r1", "normal-10/r1", "normal-20/r1", "sent-25/r2"}));
  EXPECT_EQ(key_of(*s().due(100, 2)), (std::vector<std::string>{"high-30/r1", "normal-10/r1"}));
  EXPECT_EQ(s().due(500, 10)->size(), 5u);  // "later" is due from its next_ms on
}

TEST_P(PushStoreContract, UpdateWritesOneDeliveryAndNothingElse) {
  queue(notification("n1", {}), {"r1", "r2"});
  Delivery d = delivery("n1", "r1");
  d.state = v1::DELIVERY_STATE_OPENED;
  d.attempts = 3;
  d.next_ms = 70;
  d.sent_ms = 10;
  d.delivered_ms = 20;
  d.opened_ms = 30;
  d.ended_ms = 40;
  d.detail = "read on the lock screen";
  ASSERT_TRUE(s().update(d).ok());
  Delivery back = delivery("n1", "r1");
  EXPECT_EQ(back.state, v1::DELIVERY_STATE_OPENED);
  EXPECT_EQ(back.attempts, 3u);
  EXPECT_EQ(back.next_ms, 70);
  EXPECT_EQ(back.sent_ms, 10);
  EXPECT_EQ(back.delivered_ms, 20);
  EXPECT_EQ(back.opened_ms, 30);
  EXPECT_EQ(back.ended_ms, 40);
  EXPECT_EQ(back.detail, "read on the lock screen");
  EXPECT_EQ(back.inbox_seq, 1u);
  EXPECT_EQ(delivery("n1", "r2").state, v1::DELIVERY_STATE_QUEUED);
  EXPECT_FALSE(s().delivery("n1", "r3")->has_value());
}

TEST_P(PushStoreContract, ExpireEndsOnlyLiveDeliveriesPastTheirExpiry) {
  queue(notification("short", {.expires_ms = 1'000}), {"r1", "r2", "r3"});
  queue(notification("long", {.expires_ms = 5'000}), {"r1"});
  set_state("short", "r2", v1::DELIVERY_STATE_DELIVERED);
  set_state("short", "r3", v1::DELIVERY_STATE_SENT);
  EXPECT_TRUE(s().expire(999, 10)->empty());

  auto expired = s().expire(1'000, 10);
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(key_of(*expired).size(), 2u);
  for (const auto& d : *expired) EXPECT_EQ(d.state, v1::DELIVERY_STATE_EXPIRED);
  for (const char* rid : {"r1", "r3"}) {
    EXPECT_EQ(delivery("short", rid).state, v1::DELIVERY_STATE_EXPIRED);
    EXPECT_EQ(delivery("short", rid).ended_ms, 1'000);
  }
  EXPECT_EQ(delivery("short", "r2").state, v1::DELIVERY_STATE_DELIVERED);
  EXPECT_EQ(delivery("long", "r1").state, v1::DELIVERY_STATE_QUEUED);
  EXPECT_TRUE(s().expire(1'000, 10)->empty());

  queue(notification("a", {.expires_ms = 2'000}), {"r1", "r2"});
  EXPECT_EQ(s().expire(3'000, 1)->size(), 1u);  // the limit bounds one sweep
  EXPECT_EQ(*s().count_live(), 2u);             // "long" and one of "a"
}

TEST_P(PushStoreContract, TheInboxListsLiveUnexpiredDeliveriesAboveTheSeqInOrder) {
  queue(notification("n1", {}), {"r1"});
  queue(notification("n2", {}), {"r1"});
  queue(notification("n3", {.expires_ms = 500}), {"r1"});
  queue(notification("n4", {}), {"r1", "r2"});
  queue(notification("n5", {}), {"r1"});
  set_state("n1", "r1", v1::DELIVERY_STATE_OPENED);
  set_state("n2", "r1", v1::DELIVERY_STATE_FAILED);
  set_state("n5", "r1", v1::DELIVERY_STATE_DELIVERED);

  EXPECT_EQ(key_of(*s().inbox("r1", 0, 500, 10)), (std::vector<std::string>{"n1/r1", "n4/r1", "n5/r1"}));
  EXPECT_EQ(key_of(*s().inbox("r1", 0, 499, 10)), (std::vector<std::string>{"n1/r1", "n3/r1", "n4/r1", "n5/r1"}));
  EXPECT_EQ(key_of(*s().inbox("r1", 3, 499, 10)), (std::vector<std::string>{"n4/r1", "n5/r1"}));
  EXPECT_EQ(key_of(*s().inbox("r1", 0, 499, 2)), (std::vector<std::string>{"n1/r1", "n3/r1"}));
  EXPECT_EQ(key_of(*s().inbox("r2", 0, 499, 10)), std::vector<std::string>{"n4/r2"});
}

TEST_P(PushStoreContract, DeliveriesOfANotificationAreListedByRecipientAndCountedByState) {
  queue(notification("n1", {}), {"r3", "r1", "r2"});
  queue(notification("n2", {}), {"r1"});
  set_state("n1", "r2", v1::DELIVERY_STATE_SENT);
  set_state("n1", "r3", v1::DELIVERY_STATE_OPENED);
  EXPECT_EQ(key_of(*s().deliveries_of("n1", 10)), (std::vector<std::string>{"n1/r1", "n1/r2", "n1/r3"}));
  EXPECT_EQ(key_of(*s().deliveries_of("n1", 2)), (std::vector<std::string>{"n1/r1", "n1/r2"}));
  auto counts = s().state_counts("n1");
  ASSERT_TRUE(counts.ok());
  std::map<int, uint64_t> by_state(counts->begin(), counts->end());
  EXPECT_EQ(by_state,
            (std::map<int, uint64_t>{
                {v1::DELIVERY_STATE_QUEUED, 1}, {v1::DELIVERY_STATE_SENT, 1}, {v1::DELIVERY_STATE_OPENED, 1}}));
  EXPECT_TRUE(s().state_counts("unknown")->empty());
  EXPECT_EQ(*s().count_live(), 3u);  // n1 to r1 and r2, n2 to r1
}

TEST_P(PushStoreContract, DeletingARecipientFailsItsLiveDeliveriesOnly) {
  ASSERT_TRUE(s().put_recipient(recipient("r1", {})).ok());
  queue(notification("waiting", {}), {"r1"});
  queue(notification("sent", {}), {"r1"});
  queue(notification("received", {}), {"r1"});
  set_state("sent", "r1", v1::DELIVERY_STATE_SENT);
  set_state("received", "r1", v1::DELIVERY_STATE_DELIVERED);
  ASSERT_TRUE(*s().delete_recipient("r1"));
  for (const char* nid : {"waiting", "sent"}) {
    EXPECT_EQ(delivery(nid, "r1").state, v1::DELIVERY_STATE_FAILED) << nid;
    EXPECT_EQ(delivery(nid, "r1").detail, "recipient deleted") << nid;
  }
  EXPECT_EQ(delivery("received", "r1").state, v1::DELIVERY_STATE_DELIVERED);
}

TEST_P(PushStoreContract, AnIdempotencyKeyFindsItsOneNotification) {
  queue(notification("n1", {.key = "key-1"}), {"r1"});
  queue(notification("n2", {}), {"r1"});
  queue(notification("n3", {}), {"r1"});  // any number without a key
  EXPECT_EQ(*s().notification_by_key("key-1"), std::optional<std::string>("n1"));
  EXPECT_FALSE(s().notification_by_key("key-2")->has_value());
  EXPECT_FALSE(s().notification_by_key("")->has_value());

  // A second notification with the key is refused whole: no row, no inbox seq taken.
  EXPECT_FALSE(s().queue(notification("n4", {.key = "key-1"}), {"r1", "r2"}, 1'000, true).ok());
  EXPECT_FALSE(s().notification("n4")->has_value());
  EXPECT_TRUE(s().deliveries_of("n4", 10)->empty());
  queue(notification("n5", {}), {"r1"});
  EXPECT_EQ(delivery("n5", "r1").inbox_seq, 4u);
}

TEST_P(PushStoreContract, ACommittedTransactionKeepsItsWritesAndADroppedOneUndoesThem) {
  ASSERT_TRUE(s().put_recipient(recipient("r1", {})).ok());
  queue(notification("n1", {}), {"r1"});
  {
    auto tx = s().begin();
    ASSERT_TRUE(tx->begun().ok()) << tx->begun().error().describe();
    set_state("n1", "r1", v1::DELIVERY_STATE_SENT);
    ASSERT_TRUE(s().set_streak("r1", 2, false).ok());
    ASSERT_TRUE(tx->commit().ok());
  }
  {
    auto tx = s().begin();
    ASSERT_TRUE(tx->begun().ok());
    set_state("n1", "r1", v1::DELIVERY_STATE_DELIVERED);
    ASSERT_TRUE(s().set_streak("r1", 7, true).ok());
    ASSERT_TRUE(s().queue_rows(notification("n2", {}), {"r1"}, 1'000, true).ok());
    EXPECT_EQ(delivery("n1", "r1").state, v1::DELIVERY_STATE_DELIVERED);  // seen inside
  }
  EXPECT_EQ(delivery("n1", "r1").state, v1::DELIVERY_STATE_SENT);
  EXPECT_EQ((*s().recipient("r1"))->unreceipted_streak(), 2u);
  EXPECT_FALSE((*s().recipient("r1"))->silent());
  EXPECT_FALSE(s().notification("n2")->has_value());
  reopen();
  EXPECT_EQ(delivery("n1", "r1").state, v1::DELIVERY_STATE_SENT);
}

TEST_P(PushStoreContract, ASavepointUndoesOnlyItsOwnRowsAndTheOuterTransactionDecides) {
  {
    auto tx = s().begin();
    ASSERT_TRUE(tx->begun().ok());
    {
      auto kept = s().savepoint();
      ASSERT_TRUE(kept->begun().ok()) << kept->begun().error().describe();
      ASSERT_TRUE(s().queue_rows(notification("kept", {}), {"r1"}, 1'000, true).ok());
      ASSERT_TRUE(kept->commit().ok());
    }
    {
      auto refused = s().savepoint();
      ASSERT_TRUE(refused->begun().ok());
      ASSERT_TRUE(s().queue_rows(notification("refused", {}), {"r1", "r2"}, 1'000, true).ok());
    }
    ASSERT_TRUE(tx->commit().ok());
  }
  EXPECT_TRUE(s().notification("kept")->has_value());
  EXPECT_EQ(delivery("kept", "r1").inbox_seq, 1u);
  EXPECT_FALSE(s().notification("refused")->has_value());
  EXPECT_TRUE(s().deliveries_of("refused", 10)->empty());
  queue(notification("next", {}), {"r1"});
  EXPECT_EQ(delivery("next", "r1").inbox_seq, 2u);  // the refused request's seq was undone too

  {
    auto tx = s().begin();
    ASSERT_TRUE(tx->begun().ok());
    auto inner = s().savepoint();
    ASSERT_TRUE(s().queue_rows(notification("dropped", {}), {"r1"}, 1'000, true).ok());
    ASSERT_TRUE(inner->commit().ok());
  }  // the outer transaction was never committed
  EXPECT_FALSE(s().notification("dropped")->has_value());
}

TEST_P(PushStoreContract, EverythingSurvivesReopeningTheStore) {
  auto r1 = recipient("r1", {"ops"});
  ASSERT_TRUE(s().put_recipient(r1).ok());
  ASSERT_TRUE(s().set_streak("r1", 3, true).ok());
  auto n1 = notification("n1", {.collapse_key = "c", .expires_ms = 9'000, .key = "key-1", .tags = {"ops"}});
  n1.fanout_cursor = "r0";
  queue(n1, {"r1", "r2"});
  set_state("n1", "r2", v1::DELIVERY_STATE_SENT, 4'000);
  reopen();

  auto r = *s().recipient("r1");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->unreceipted_streak(), 3u);
  EXPECT_EQ(tagged({"ops"}, "", 10), std::vector<std::string>{"r1"});
  EXPECT_EQ(*s().notification_by_key("key-1"), std::optional<std::string>("n1"));
  auto n = *s().notification("n1");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->request.SerializeAsString(), n1.request.SerializeAsString());
  EXPECT_EQ(n->fanout_cursor, "r0");
  EXPECT_EQ(s().pending_fanouts(10)->size(), 1u);
  EXPECT_EQ(delivery("n1", "r2").state, v1::DELIVERY_STATE_SENT);
  EXPECT_EQ(delivery("n1", "r2").next_ms, 4'000);
  EXPECT_EQ(delivery("n1", "r1").collapse_key, "c");
  queue(notification("n2", {}), {"r1"});
  EXPECT_EQ(delivery("n2", "r1").inbox_seq, 2u);  // the inbox numbering carries on
}

INSTANTIATE_TEST_SUITE_P(Backends, PushStoreContract, cloud::testing::store_backends(),
                         cloud::testing::backend_name);

}  // namespace
}  // namespace tidewire::push

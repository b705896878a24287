// PushNotifier (the cloud's Notifier) on a real PushService (SQLite, FakeTransport): an
// alert rule's stale recipient id must not keep its notice from the recipients that exist.
#include "tidewire/push/push_notifier.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "sqlite/sqlite_push_store.hpp"
#include "tests/fakes/fake_transport.hpp"

namespace tidewire::push {
namespace {

class PushNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = std::filesystem::temp_directory_path() / ("tw-push-notifier-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto path = dir / (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".db");
    std::filesystem::remove(path);
    auto s = push::SqlitePushStore::open(path.string());
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    service_ = std::make_unique<push::PushService>(*store_, mqtt_, nullptr, clock_, random_, metrics_);
    for (const char* id : {"ops-1", "ops-2"}) {
      v1::Recipient r;
      r.set_kind(v1::RECIPIENT_KIND_OPERATOR);
      r.add_tags("site.s1");
      ASSERT_TRUE(service_->put_recipient(id, r).ok());
    }
  }
  v1::PushRequest notice(std::vector<std::string> ids, std::vector<std::string> tags = {}) {
    v1::PushRequest p;
    for (auto& id : ids) p.add_recipient_ids(id);
    for (auto& t : tags) p.add_tags(t);
    p.set_title("Site s1: 60% of devices offline");
    p.set_body("since 10:02");
    return p;
  }
  std::vector<std::string> recipients_of(const std::string& key) {
    auto n = store_->notification_by_key(key);
    EXPECT_TRUE(n.ok() && n->has_value()) << key;
    auto v = service_->view(**n);
    EXPECT_TRUE(v.ok());
    std::vector<std::string> out;
    for (const auto& d : v->deliveries()) out.push_back(d.recipient_id());
    return out;
  }

  ManualClock clock_;
  SeededRandom random_{3};
  MetricsRegistry metrics_;
  tidewire::testing::FakeTransport mqtt_;
  std::unique_ptr<push::PushStore> store_;
  std::unique_ptr<push::PushService> service_;
};

TEST_F(PushNotifierTest, UnknownRecipientsAreSkippedAndCountedAndTheOthersStillGetTheNotice) {
  PushNotifier sink(*service_, metrics_);
  ASSERT_TRUE(sink.notify(notice({"ops-1", "gone", "ops-2"}), "alert:r:s1:1:fire"));
  EXPECT_EQ(recipients_of("alert:r:s1:1:fire"), (std::vector<std::string>{"ops-1", "ops-2"}));
  EXPECT_EQ(metrics_.counter_total("tw_push_notice_unknown_recipients_total"), 1U);
  // The same notice again (a crash before mark_sent): absorbed by its key, nobody twice.
  ASSERT_TRUE(sink.notify(notice({"ops-1", "gone", "ops-2"}), "alert:r:s1:1:fire"));
  EXPECT_EQ(recipients_of("alert:r:s1:1:fire").size(), 2U);
}

TEST_F(PushNotifierTest, WithNobodyRegisteredLeftTheNoticeIsInvalidButATagStillCarriesIt) {
  PushNotifier sink(*service_, metrics_);
  auto none = sink.notify(notice({"gone", "also-gone"}), "alert:r:s1:2:fire");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(none.error().message.find("gone, also-gone"), std::string::npos) << none.error().message;
  ASSERT_TRUE(sink.notify(notice({"gone"}, {"site.s1"}), "alert:r:s1:3:fire"));
  auto n = store_->notification_by_key("alert:r:s1:3:fire");
  ASSERT_TRUE(n.ok() && n->has_value());
}

TEST_F(PushNotifierTest, OtherRefusalsAreReturnedAsTheyAre) {
  PushNotifier sink(*service_, metrics_);
  auto bad = sink.notify(notice({"ops-1"}), std::string(200, 'k'));  // key too long
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(metrics_.counter_total("tw_push_notice_unknown_recipients_total"), 0U);
}

}  // namespace
}  // namespace tidewire::push

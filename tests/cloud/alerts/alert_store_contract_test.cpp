// AlertStoreContract: what tidewire/alerts/alert_store.hpp promises, run against every
// backend, each opened by its store URL through open_alert_store() as the alerts module
// opens it. The backends are tests/cloud/store_backends.hpp's.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "alert_test_support.hpp"
#include "open_alert_store.hpp"
#include "tests/cloud/store_backends.hpp"
#include "tidewire/alerts/alert_store.hpp"

namespace tidewire::alerts {
namespace {

constexpr const char* kOffline = R"({"id":"off","type":"device_offline","after_s":300,"tags":["operators"]})";
constexpr const char* kHot =
    R"({"id":"hot","type":"status_threshold","kind":"poster","field":"temperature_c","op":">",)"
    R"("threshold":70,"for_s":60,"recipient_ids":["ops-1"]})";
constexpr const char* kDark =
    R"({"id":"dark","type":"site_offline","offline_pct":50,"for_s":120,"min_devices":4,"tags":["ops"]})";

Incident incident(const std::string& rule, const std::string& subject, uint64_t seq, int64_t opened_ms) {
  Incident i;
  i.rule_id = rule;
  i.subject = subject;
  i.seq = seq;
  i.opened_ms = opened_ms;
  i.detail = rule + " on " + subject;
  return i;
}

Incident finished(Incident i, int64_t cleared_ms) {
  i.fire_sent = true;
  i.cleared_ms = cleared_ms;
  i.clear_sent = true;
  return i;
}

// "rule/subject/seq" of each incident, in the order given.
std::vector<std::string> names(const std::vector<Incident>& incidents) {
  std::vector<std::string> out;
  for (const auto& i : incidents) out.push_back(i.rule_id + "/" + i.subject + "/" + std::to_string(i.seq));
  return out;
}

class AlertStoreContract : public ::testing::TestWithParam<cloud::testing::StoreBackend> {
 protected:
  void SetUp() override {
    url_ = cloud::testing::fresh_store_url(GetParam());
    reopen();
  }
  // Another process's view: a fresh store on the same URL.
  void reopen() {
    store_.reset();
    auto s = open_alert_store(url_, clock_);
    ASSERT_TRUE(s.ok()) << s.error().describe();
    store_ = std::move(*s);
  }
  AlertStore& s() { return *store_; }
  void save(const Incident& i) { ASSERT_TRUE(s().save_incident(i).ok()) << names({i})[0]; }
  std::vector<std::string> unfinished() {
    auto all = s().load_unfinished();
    EXPECT_TRUE(all.ok()) << all.error().describe();
    return all.ok() ? names(*all) : std::vector<std::string>{};
  }
  uint64_t last_seq(const std::string& rule, const std::string& subject) {
    auto seqs = s().last_seqs();
    EXPECT_TRUE(seqs.ok()) << seqs.error().describe();
    if (!seqs.ok()) return 0;
    auto it = seqs->find({rule, subject});
    return it == seqs->end() ? 0 : it->second;
  }
  std::vector<std::string> rule_ids() {
    auto rules = s().load_rules();
    EXPECT_TRUE(rules.ok()) << rules.error().describe();
    std::vector<std::string> out;
    if (rules.ok())
      for (const auto& r : *rules) out.push_back(r.id);
    return out;
  }

  ManualClock clock_;
  cloud::StoreUrl url_;
  AlertStorePtr store_;
};

TEST_P(AlertStoreContract, RulesComeBackByIdAsInserted) {
  for (const char* json : {kOffline, kHot, kDark}) ASSERT_TRUE(s().insert_rule(testing::rule(json)).ok());
  auto rules = s().load_rules();
  ASSERT_TRUE(rules.ok()) << rules.error().describe();
  ASSERT_EQ(rules->size(), 3u);
  EXPECT_EQ((*rules)[0], testing::rule(kDark));
  EXPECT_EQ((*rules)[1], testing::rule(kHot));
  EXPECT_EQ((*rules)[2], testing::rule(kOffline));
}

TEST_P(AlertStoreContract, ASecondRuleWithAStoredIdIsRefusedAndChangesNothing) {
  ASSERT_TRUE(s().insert_rule(testing::rule(kOffline)).ok());
  auto same_id = testing::rule(kHot);
  same_id.id = "off";
  EXPECT_FALSE(s().insert_rule(same_id).ok());
  auto rules = s().load_rules();
  ASSERT_EQ(rules->size(), 1u);
  EXPECT_EQ(rules->front(), testing::rule(kOffline));
}

TEST_P(AlertStoreContract, DeletingRemovesThatRuleOnlyAndAnUnknownIdIsNoError) {
  ASSERT_TRUE(s().insert_rule(testing::rule(kOffline)).ok());
  ASSERT_TRUE(s().insert_rule(testing::rule(kHot)).ok());
  ASSERT_TRUE(s().delete_rule("off").ok());
  EXPECT_EQ(rule_ids(), std::vector<std::string>{"hot"});
  EXPECT_TRUE(s().delete_rule("off").ok());
  EXPECT_TRUE(s().delete_rule("never-was").ok());
  EXPECT_EQ(rule_ids(), std::vector<std::string>{"hot"});
  ASSERT_TRUE(s().insert_rule(testing::rule(kOffline)).ok());  // a deleted id may be used again
  EXPECT_EQ(rule_ids(), (std::vector<std::string>{"hot", "off"}));
}

TEST_P(AlertStoreContract, UnfinishedIncidentsComeBackWholeOldestFirst) {
  auto late = incident("off", "poster-1", 1, 300);
  late.fire_sent = true;
  save(late);
  save(incident("off", "poster-2", 1, 100));
  save(incident("hot", "poster-9", 2, 200));
  save(incident("dark", "site-1", 1, 200));
  save(finished(incident("off", "poster-3", 1, 50), 60));
  auto cleared = incident("hot", "poster-4", 1, 400);
  cleared.fire_sent = true;
  cleared.cleared_ms = 450;  // its clear notice is not sent yet
  save(cleared);

  EXPECT_EQ(unfinished(), (std::vector<std::string>{"off/poster-2/1", "dark/site-1/1", "hot/poster-9/2",
                                                    "off/poster-1/1", "hot/poster-4/1"}));
  auto all = *s().load_unfinished();
  const Incident& back = all.back();
  EXPECT_EQ(back.opened_ms, 400);
  EXPECT_TRUE(back.fire_sent);
  EXPECT_EQ(back.cleared_ms, 450);
  EXPECT_FALSE(back.clear_sent);
  EXPECT_EQ(back.detail, "hot on poster-4");
  EXPECT_TRUE(all[3].fire_sent);
  EXPECT_FALSE(all[0].fire_sent);
}

TEST_P(AlertStoreContract, SavingAStoredIncidentWritesItsProgressOnly) {
  save(incident("off", "poster-1", 1, 100));
  auto progress = incident("off", "poster-1", 1, 999);
  progress.detail = "another reading";
  progress.fire_sent = true;
  progress.cleared_ms = 500;
  save(progress);
  auto all = *s().load_unfinished();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].opened_ms, 100);
  EXPECT_EQ(all[0].detail, "off on poster-1");
  EXPECT_TRUE(all[0].fire_sent);
  EXPECT_EQ(all[0].cleared_ms, 500);
  EXPECT_FALSE(all[0].clear_sent);

  progress.clear_sent = true;
  save(progress);
  EXPECT_TRUE(unfinished().empty());
}

TEST_P(AlertStoreContract, LastSeqsNeverGoBack) {
  EXPECT_TRUE(s().last_seqs()->empty());
  save(finished(incident("off", "poster-1", 1, 100), 150));
  save(incident("off", "poster-1", 2, 200));
  save(finished(incident("off", "poster-2", 1, 100), 150));
  save(incident("hot", "poster-1", 5, 100));
  using Seqs = std::map<std::pair<std::string, std::string>, uint64_t>;
  EXPECT_EQ(*s().last_seqs(), (Seqs{{{"off", "poster-1"}, 2}, {{"off", "poster-2"}, 1}, {{"hot", "poster-1"}, 5}}));

  save(finished(incident("off", "poster-1", 2, 200), 250));  // every incident of poster-1 finished
  save(finished(incident("hot", "poster-1", 5, 100), 300));
  EXPECT_TRUE(unfinished().empty());
  EXPECT_EQ(*s().last_seqs(), (Seqs{{{"off", "poster-1"}, 2}, {{"off", "poster-2"}, 1}, {{"hot", "poster-1"}, 5}}));
}

TEST_P(AlertStoreContract, ANewerIncidentLeavesAnOlderUnfinishedOneInPlace) {
  auto older = incident("off", "poster-1", 1, 100);
  older.fire_sent = true;
  older.cleared_ms = 150;  // the clear notice failed so far
  save(older);
  save(incident("off", "poster-1", 2, 200));
  EXPECT_EQ(unfinished(), (std::vector<std::string>{"off/poster-1/1", "off/poster-1/2"}));
  older.clear_sent = true;
  save(older);
  EXPECT_EQ(unfinished(), std::vector<std::string>{"off/poster-1/2"});
  EXPECT_EQ(last_seq("off", "poster-1"), 2u);
}

TEST_P(AlertStoreContract, CallsFromSeveralThreadsAreAllKept) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (uint64_t seq = 1; seq <= 25; ++seq) {
        EXPECT_TRUE(s().save_incident(incident("off", "poster-" + std::to_string(t), seq, 100)).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(unfinished().size(), 100u);
  auto seqs = *s().last_seqs();
  ASSERT_EQ(seqs.size(), 4u);
  for (const auto& [who, seq] : seqs) EXPECT_EQ(seq, 25u) << who.second;
}

TEST_P(AlertStoreContract, EverythingSurvivesReopeningTheStore) {
  ASSERT_TRUE(s().insert_rule(testing::rule(kHot)).ok());
  auto open = incident("hot", "poster-1", 3, 100);
  open.fire_sent = true;
  save(open);
  save(finished(incident("off", "poster-2", 7, 50), 80));
  reopen();
  auto rules = s().load_rules();
  ASSERT_TRUE(rules.ok()) << rules.error().describe();
  ASSERT_EQ(rules->size(), 1u);
  EXPECT_EQ(rules->front(), testing::rule(kHot));
  auto all = *s().load_unfinished();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(names(all), std::vector<std::string>{"hot/poster-1/3"});
  EXPECT_TRUE(all[0].fire_sent);
  EXPECT_EQ(all[0].detail, "hot on poster-1");
  EXPECT_EQ(last_seq("off", "poster-2"), 7u);
}

INSTANTIATE_TEST_SUITE_P(Backends, AlertStoreContract, cloud::testing::store_backends(),
                         cloud::testing::backend_name);

TEST(OpenAlertStore, AnUnknownSchemeIsRefusedNamingItAndTheBuiltInOnes) {
  ManualClock clock;
  auto store = open_alert_store({"postgres", "//db.test/tidewire", "postgres://db.test/tidewire"}, clock);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(store.error().message.find("'postgres'"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("built in: sqlite"), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace tidewire::alerts

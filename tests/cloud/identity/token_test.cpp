// API tokens: their text form, the registry's rules, and the SQLite store under it.
#include <gtest/gtest.h>

#include <set>

#include "sqlite/sqlite_identity_store.hpp"
#include "tests/cloud/cloud_test_support.hpp"
#include "tidewire/identity/api_token.hpp"
#include "tidewire/identity/token_registry.hpp"

namespace tidewire::identity {
namespace {

using cloud::testing::temp_db_path;

TEST(ApiToken, IssuedTokensParseBackAndAreNeverTheSame) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto t = issue_token();
    ASSERT_TRUE(t.ok());
    EXPECT_TRUE(seen.insert(t->text).second);
    auto parsed = parse_bearer("Bearer " + t->text);
    ASSERT_TRUE(parsed.has_value()) << t->text;
    EXPECT_EQ(parsed->id, t->id);
    EXPECT_TRUE(same_hash(sha256_hex(parsed->secret), t->secret_hash));
    EXPECT_EQ(t->secret_hash.find(parsed->secret), std::string::npos);  // the hash is not the secret
  }
  EXPECT_TRUE(parse_bearer("bearer " + issue_token()->text).has_value());  // the scheme is case-insensitive
}

TEST(ApiToken, AnythingButTheExactFormIsMalformed) {
  const std::string good = issue_token()->text;
  for (const std::string& bad :
       {std::string(""), std::string("Bearer"), "Basic " + good, good, "Bearer  " + good, "Bearer " + good + "x",
        "Bearer " + good.substr(0, good.size() - 1), "Bearer " + good.substr(0, 15) + "!" + good.substr(16),
        "Bearer xx" + good.substr(2), "Bearer " + std::string(56, 'a')}) {
    EXPECT_FALSE(parse_bearer(bad).has_value()) << bad;
  }
}

TEST(ApiToken, Sha256IsTheStandardOne) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_FALSE(same_hash("ab", "abc"));
  EXPECT_FALSE(same_hash("abd", "abc"));
}

class TokenRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteIdentityStore::open(temp_db_path());
    ASSERT_TRUE(s.ok()) << s.error().describe();
    store_ = std::move(*s);
    tokens_ = std::make_unique<TokenRegistry>(*store_, clock_);
  }
  CreatedToken make(const std::string& principal, std::vector<std::string> scopes) {
    auto t = tokens_->create({principal, std::move(scopes), "for a test", "cli"});
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().describe());
    return t.ok() ? *t : CreatedToken{};
  }

  ManualClock clock_;
  std::unique_ptr<SqliteIdentityStore> store_;
  std::unique_ptr<TokenRegistry> tokens_;
};

TEST_F(TokenRegistryTest, ATokenAuthenticatesAsItsPrincipalWithItsScopesAndOnlyItsHashIsStored) {
  auto t = make("m-7", {"merchant", "merchant"});
  auto caller = tokens_->authenticate("Bearer " + t.text);
  ASSERT_TRUE(caller.ok()) << caller.error().describe();
  EXPECT_EQ(caller->principal, "m-7");
  EXPECT_EQ(caller->scopes, std::vector<std::string>{"merchant"});  // duplicates folded
  EXPECT_EQ(caller->token_id, t.record.id);
  EXPECT_FALSE(caller->is_operator());
  EXPECT_TRUE(caller->acts_for("m-7"));
  EXPECT_FALSE(caller->acts_for("m-8"));

  auto stored = store_->find_token(t.record.id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  const std::string secret = t.text.substr(16);  // "tw_" + 12-character id + "_"
  EXPECT_NE((*stored)->secret_hash, secret);
  EXPECT_EQ((*stored)->secret_hash, sha256_hex(secret));
  EXPECT_EQ((*stored)->created_ms, clock_.wall_ms());
}

TEST_F(TokenRegistryTest, EachWayToFailHasItsReason) {
  auto t = make("ops", {"operator"});
  auto reason = [&](const std::string& header) {
    auto c = tokens_->authenticate(header);
    return c.ok() ? std::string("ok") : c.error().reason;
  };
  EXPECT_EQ(reason(""), auth_failure::kMissing);
  EXPECT_EQ(reason("Bearer nonsense"), auth_failure::kMalformed);
  auto other = issue_token();
  EXPECT_EQ(reason("Bearer " + other->text), auth_failure::kUnknown);
  // Right id, wrong secret (a forged token for a known id).
  std::string forged = t.text.substr(0, 16) + other->text.substr(16);
  EXPECT_EQ(reason("Bearer " + forged), auth_failure::kBadSecret);
  EXPECT_EQ(reason("Bearer " + t.text), "ok");

  auto revoked = tokens_->revoke(t.record.id);
  ASSERT_TRUE(revoked.ok());
  EXPECT_TRUE(*revoked);
  EXPECT_EQ(reason("Bearer " + t.text), auth_failure::kRevoked);  // at once: no cache to expire
  EXPECT_TRUE(*tokens_->revoke(t.record.id));                      // twice is fine
  EXPECT_FALSE(*tokens_->revoke("nosuchtoken1"));
}

TEST_F(TokenRegistryTest, BadRequestsAreRefusedNamingWhatIsWrong) {
  auto refused = [&](NewToken request) {
    auto t = tokens_->create(request);
    return t.ok() ? std::string("made") : t.error().reason;
  };
  EXPECT_EQ(refused({"", {"operator"}, "", "cli"}), "invalid_principal");
  EXPECT_EQ(refused({"has space", {"operator"}, "", "cli"}), "invalid_principal");
  EXPECT_EQ(refused({std::string(65, 'a'), {"operator"}, "", "cli"}), "invalid_principal");
  EXPECT_EQ(refused({"ops", {}, "", "cli"}), "no_scope");
  EXPECT_EQ(refused({"ops", {"root"}, "", "cli"}), "unknown_scope");
  EXPECT_EQ(refused({"ops", {"operator"}, std::string(201, 'n'), "cli"}), "note_too_long");
  EXPECT_EQ(refused({"ops", {"operator", "metrics"}, "", "cli"}), "made");
}

TEST_F(TokenRegistryTest, ListingShowsEveryTokenNewestFirstAndRevocations) {
  auto a = make("a", {"viewer"});
  clock_.advance_ms(10);
  auto b = make("b", {"streamer"});
  ASSERT_TRUE(tokens_->revoke(a.record.id).ok());
  auto list = tokens_->list();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, b.record.id);
  EXPECT_EQ((*list)[1].id, a.record.id);
  EXPECT_NE((*list)[1].revoked_ms, 0);
  EXPECT_EQ((*list)[0].revoked_ms, 0);
}

TEST_F(TokenRegistryTest, TheAuditLogFiltersByPrincipalTargetAndTimeNewestFirst) {
  for (int i = 0; i < 5; ++i) {
    AuditRecord e;
    e.at_ms = 1000 + i;
    e.principal = i % 2 ? "m-1" : "ops";
    e.method = "POST";
    e.route = "/v1/orders/{id}/cancel";
    e.target = "o-" + std::to_string(i);
    e.status = 200;
    ASSERT_TRUE(store_->append_audit(e).ok());
  }
  auto all = store_->audit({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0].target, "o-4");
  auto merchant = store_->audit({"m-1", "", 0, 100});
  ASSERT_EQ(merchant->size(), 2u);
  EXPECT_EQ((*merchant)[0].target, "o-3");
  auto one = store_->audit({"", "o-2", 0, 100});
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].principal, "ops");
  auto recent = store_->audit({"", "", 1003, 1});
  ASSERT_EQ(recent->size(), 1u);
  EXPECT_EQ((*recent)[0].target, "o-4");
}

}  // namespace
}  // namespace tidewire::identity

// Principals, hashes, broker file rendering, the SQLite store and the provision command,
// without a broker (broker_acl_test.cpp runs them against a real mosquitto).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sqlite/sqlite_credential_store.hpp"
#include "tidewire/credentials/broker_files.hpp"
#include "tidewire/credentials/credentials_command.hpp"
#include "tidewire/credentials/login_file.hpp"
#include "tidewire/credentials/password_hash.hpp"
#include "tidewire/credentials/provisioning.hpp"

namespace tidewire::credentials {
namespace {

namespace fs = std::filesystem;

Principal device(const std::string& id, const std::string& site = "s1", v1::DeviceKind k = v1::DEVICE_KIND_RIDER) {
  Principal p;
  p.kind = PrincipalKind::kDevice;
  p.id = id;
  p.site = site;
  p.device_kind = k;
  p.password_hash = "$7$101$c2FsdHNhbHRzYWx0$aGFzaA==";
  return p;
}
Principal other(PrincipalKind kind, const std::string& id, const std::string& site = "") {
  Principal p;
  p.kind = kind;
  p.id = id;
  p.site = site;
  p.password_hash = "$7$101$c2FsdHNhbHRzYWx0$aGFzaA==";
  return p;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tw-cred-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST(Principal, UsernamesCarryTheKindSoKindsNeverCollide) {
  EXPECT_EQ(username(PrincipalKind::kDevice, "sim-poster-00001"), "device.sim-poster-00001");
  EXPECT_EQ(username(PrincipalKind::kEdge, "edge-1"), "edge.edge-1");
  EXPECT_EQ(username(PrincipalKind::kRecipient, "rider-43"), "recipient.rider-43");
  EXPECT_EQ(username(PrincipalKind::kCloud, "c1"), "cloud.c1");
  EXPECT_NE(username(PrincipalKind::kDevice, "x"), username(PrincipalKind::kRecipient, "x"));
  EXPECT_FALSE(parse_principal_kind("toaster").ok());
  EXPECT_EQ(parse_principal_kind("toaster").error().reason, "unknown_kind");
}

TEST(Principal, ValidateRefusesWhatDoesNotFitTheKind) {
  EXPECT_TRUE(validate(device("d1")).ok());
  EXPECT_EQ(validate(device("a/b")).error().reason, "invalid_id");
  EXPECT_EQ(validate(device("#")).error().reason, "invalid_id");
  EXPECT_EQ(validate(device("d1", "")).error().reason, "invalid_site");
  EXPECT_EQ(validate(device("d1", "s1", v1::DEVICE_KIND_UNSPECIFIED)).error().reason, "invalid_device_kind");
  EXPECT_EQ(validate(other(PrincipalKind::kEdge, "e1")).error().reason, "invalid_site");
  EXPECT_EQ(validate(other(PrincipalKind::kRecipient, "r1", "s1")).error().reason, "unexpected_site");
  auto c = other(PrincipalKind::kCloud, "c1");
  c.audience = topics::Audience::kRider;
  EXPECT_EQ(validate(c).error().reason, "unexpected_audience");
}

TEST(PasswordHash, VerifiesAHashMadeByMosquittoPasswd) {
  // `mosquitto_passwd -c -b f user secret` (mosquitto 2.0.11).
  const std::string theirs =
      "$7$101$0Lxedkz8ifhDrijB$JtbcmsHY/k3NqElABJlEkBnExYEO9WhkTLmWqfTlX61+Z69ax8o1gnyuudmpUCfOUwDb/"
      "Eka9kFmFDnaEbY4lw==";
  EXPECT_TRUE(verify_password("secret", theirs));
  EXPECT_FALSE(verify_password("Secret", theirs));
  EXPECT_FALSE(verify_password("secret", "$6$abc$def"));
  EXPECT_FALSE(verify_password("secret", "$7$x$$"));
}

TEST(PasswordHash, OwnHashesHaveMosquittosShapeAndFreshSalts) {
  auto pw = make_password();
  ASSERT_TRUE(pw.ok());
  EXPECT_EQ(pw->size(), 32u);
  EXPECT_EQ(pw->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  auto a = hash_password(*pw), b = hash_password(*pw);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->rfind("$7$101$", 0), 0u) << *a;
  EXPECT_NE(*a, *b);  // salted
  EXPECT_TRUE(verify_password(*pw, *a));
  EXPECT_FALSE(verify_password(*pw + "x", *a));
  // The salt and hash fields decode to mosquitto's sizes: 12 and 64 bytes (16 and 88 chars).
  auto parts = *a;
  size_t s = parts.find('$', 3), h = parts.find('$', s + 1);
  EXPECT_EQ(h - s - 1, 16u);
  EXPECT_EQ(parts.size() - h - 1, 88u);
}

TEST(BrokerFiles, SiteBrokerGivesADeviceOnlyItsOwnTopics) {
  auto files = render_site_broker({device("r1"), device("r2", "s2"), other(PrincipalKind::kEdge, "e1", "s1"),
                                   other(PrincipalKind::kRecipient, "rc1")},
                                  "s1");
  ASSERT_TRUE(files.ok()) << files.error().describe();
  EXPECT_EQ(files->users, 2u);
  EXPECT_NE(files->passwords.find("device.r1:$7$"), std::string::npos);
  EXPECT_EQ(files->passwords.find("device.r2"), std::string::npos);  // another site's broker
  EXPECT_EQ(files->passwords.find("recipient."), std::string::npos);
  const std::string& acl = files->acl;
  EXPECT_NE(acl.find("user device.r1\n"
                     "topic write tw/v1/site/s1/rider/r1/status\n"
                     "topic write tw/v1/site/s1/rider/r1/event\n"
                     "topic write tw/v1/site/s1/rider/r1/presence\n"
                     "topic write tw/v1/site/s1/rider/r1/result\n"
                     "topic read tw/v1/site/s1/rider/r1/cmd\n"
                     "topic read tw/v1/site/s1/rider/r1/ack\n"),
            std::string::npos)
      << acl;
  EXPECT_NE(acl.find("user edge.e1\ntopic read tw/v1/site/s1/+/+/status\n"), std::string::npos) << acl;
  EXPECT_NE(acl.find("topic write tw/v1/site/s1/+/+/cmd\ntopic write tw/v1/site/s1/+/+/ack\n"), std::string::npos);
  EXPECT_EQ(acl.find("#"), acl.find("# generated"));  // no multi-level wildcard anywhere but comments
  EXPECT_EQ(acl.find("pattern"), std::string::npos);
}

TEST(BrokerFiles, CloudBrokerGivesEachPrincipalItsOwnChannels) {
  auto r = other(PrincipalKind::kRecipient, "m-1");
  r.audience = topics::Audience::kMerchant;
  auto files = render_cloud_broker({device("r1"), other(PrincipalKind::kEdge, "e1", "s1"),
                                    other(PrincipalKind::kCloud, "c1"), r, other(PrincipalKind::kGateway, "g1")});
  ASSERT_TRUE(files.ok()) << files.error().describe();
  EXPECT_EQ(files->users, 4u);
  const std::string& acl = files->acl;
  EXPECT_NE(acl.find("user edge.e1\ntopic write tw/v1/edge/e1/batch\ntopic read tw/v1/edge/e1/ack\n"
                     "topic read tw/v1/edge/e1/cmd\n"),
            std::string::npos)
      << acl;
  EXPECT_NE(acl.find("user cloud.c1\ntopic read tw/v1/edge/+/batch\ntopic read tw/v1/push/+/receipt\n"
                     "topic read tw/v1/push/+/sync\ntopic write tw/v1/edge/+/ack\ntopic write tw/v1/edge/+/cmd\n"
                     "topic write tw/v1/push/+/inbox\ntopic write tw/v1/dispatch/+/+/order\n"),
            std::string::npos)
      << acl;
  EXPECT_NE(acl.find("user recipient.m-1\ntopic read tw/v1/push/m-1/inbox\n"
                     "topic read tw/v1/dispatch/merchant/m-1/order\ntopic write tw/v1/push/m-1/receipt\n"
                     "topic write tw/v1/push/m-1/sync\n"),
            std::string::npos)
      << acl;
  EXPECT_NE(acl.find("user gateway.g1\ntopic read tw/v1/push/+/inbox\n"), std::string::npos) << acl;
  EXPECT_EQ(files->passwords.find("device."), std::string::npos);
}

TEST(BrokerFiles, ARevokedPrincipalGetsNoLineAtAll) {
  auto gone = device("r2");
  gone.revoked_ms = 5;
  auto files = render_site_broker({device("r1"), gone}, "s1");
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->passwords.find("r2"), std::string::npos);
  EXPECT_EQ(files->acl.find("r2"), std::string::npos);
  EXPECT_NE(files->acl.find("device.r1"), std::string::npos);
}

TEST_F(TempDir, BrokerFilesAreWrittenWholeWithMode0640) {
  BrokerFiles f{"u:$7$1$a$b\n", "user u\n", 1};
  ASSERT_TRUE(write_broker_files(dir_.string(), f).ok());
  EXPECT_EQ(read(dir_ / "passwords"), f.passwords);
  EXPECT_EQ(read(dir_ / "acl"), f.acl);
  EXPECT_EQ(fs::status(dir_ / "passwords").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++n;
  EXPECT_EQ(n, 2u);  // no temporary left behind
}

// CredentialStore contract, on SQLite.
TEST_F(TempDir, StoreRefusesADuplicateUnlessRotatingAndKeepsRevokedRows) {
  auto store = SqliteCredentialStore::open((dir_ / "c.db").string());
  ASSERT_TRUE(store.ok()) << store.error().describe();
  auto first = provision(**store, {device("r1"), device("r2")}, false, 100);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].username, "device.r1");
  auto stored = (*store)->find(PrincipalKind::kDevice, "r1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_TRUE(verify_password((*first)[0].password, (*stored)->password_hash));
  EXPECT_EQ((*stored)->password_hash.find((*first)[0].password), std::string::npos);  // only the hash

  auto again = provision(**store, {device("r3"), device("r1")}, false, 200);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_FALSE((*store)->find(PrincipalKind::kDevice, "r3")->has_value());  // all or nothing

  auto rotated = provision(**store, {device("r1")}, true, 300);
  ASSERT_TRUE(rotated.ok());
  auto now = (*store)->find(PrincipalKind::kDevice, "r1");
  EXPECT_TRUE(verify_password((*rotated)[0].password, (*now)->password_hash));
  EXPECT_FALSE(verify_password((*first)[0].password, (*now)->password_hash));

  ASSERT_TRUE((*store)->revoke(PrincipalKind::kDevice, "r2", 400).ok());
  EXPECT_EQ((*store)->revoke(PrincipalKind::kDevice, "r2", 401).error().code, ErrorCode::kNotFound);
  EXPECT_EQ((*store)->revoke(PrincipalKind::kEdge, "r1", 401).error().code, ErrorCode::kNotFound);
  auto all = (*store)->list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].id, "r2");
  EXPECT_EQ((*all)[1].revoked_ms, 400);
  EXPECT_EQ((*all)[0].device_kind, v1::DEVICE_KIND_RIDER);
  // A revoked principal may be provisioned again.
  EXPECT_TRUE(provision(**store, {device("r2")}, false, 500).ok());
}

struct Run {
  int rc;
  std::string out, err;
};
Run run(std::vector<std::string> args) {
  std::ostringstream out, err;
  int rc = run_credentials_command(args, out, err);
  return {rc, out.str(), err.str()};
}

TEST_F(TempDir, CommandProvisionsListsRevokesAndWritesBrokerFiles) {
  const std::string store = "--store=sqlite:" + (dir_ / "cloud.db").string();
  auto p = run({"provision", "device", "d-1", "--site", "s1", "--kind", "poster", store});
  ASSERT_EQ(p.rc, 0) << p.err;
  EXPECT_NE(p.out.find("username device.d-1\npassword "), std::string::npos) << p.out;

  auto dup = run({"provision", "device", "d-1", "--site", "s1", "--kind", "poster", store});
  EXPECT_EQ(dup.rc, 1);
  EXPECT_NE(dup.err.find("already provisioned"), std::string::npos) << dup.err;
  auto file = (dir_ / "d1.login").string();
  auto rot = run(
      {"provision", "device", "d-1", "--site", "s1", "--kind", "poster", "--rotate", "--password-file", file, store});
  ASSERT_EQ(rot.rc, 0) << rot.err;
  auto book = read_login_file(file);
  ASSERT_TRUE(book.ok());
  ASSERT_EQ(book->count("device.d-1"), 1u);
  EXPECT_EQ(rot.out.find(book->at("device.d-1")), std::string::npos);  // not printed
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);

  // The cloud's own config file names the store; its other lines are not ours.
  std::ofstream(dir_ / "cloud.conf") << "http-port = 1\nstore = sqlite:" << (dir_ / "cloud.db").string()
                                     << "\nmqtt-port = 2\n";
  const std::string conf = (dir_ / "cloud.conf").string();
  ASSERT_EQ(run({"provision", "edge", "e-1", "--site", "s1", "--config", conf}).rc, 0);
  ASSERT_EQ(run({"provision", "recipient", "m-1", "--audience", "merchant", "--config", conf}).rc, 0);
  ASSERT_EQ(run({"provision", "cloud", "c-1", "--config", conf}).rc, 0);

  auto list = run({"credentials", "list", store});
  ASSERT_EQ(list.rc, 0) << list.err;
  EXPECT_NE(list.out.find("device.d-1\ts1\tposter\t-"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("recipient.m-1\t-\t-\tmerchant"), std::string::npos) << list.out;

  ASSERT_EQ(run({"revoke", "device", "d-1", store}).rc, 0);
  EXPECT_EQ(run({"revoke", "device", "d-1", store}).rc, 1);
  auto site = run({"broker-files", "--broker", "site", "--site", "s1", "--out", dir_.string(), store});
  ASSERT_EQ(site.rc, 0) << site.err;
  EXPECT_EQ(read(dir_ / "passwords").find("device.d-1"), std::string::npos);
  EXPECT_NE(read(dir_ / "passwords").find("edge.e-1:$7$"), std::string::npos);
  auto cloud = run({"broker-files", "--broker", "cloud", "--out", dir_.string(), store});
  ASSERT_EQ(cloud.rc, 0) << cloud.err;
  EXPECT_NE(read(dir_ / "acl").find("user recipient.m-1"), std::string::npos);
}

TEST_F(TempDir, CommandRefusesBadIdsKindsAndMissingOptions) {
  const std::string store = "--store=sqlite:" + (dir_ / "cloud.db").string();
  auto bad_id = run({"provision", "device", "a.b/c", "--site", "s1", "--kind", "rider", store});
  EXPECT_EQ(bad_id.rc, 2);
  EXPECT_NE(bad_id.err.find("an id is 1-64 characters"), std::string::npos) << bad_id.err;
  auto bad_kind = run({"provision", "toaster", "t1", store});
  EXPECT_EQ(bad_kind.rc, 2);
  EXPECT_NE(bad_kind.err.find("unknown principal kind 'toaster'"), std::string::npos) << bad_kind.err;
  EXPECT_EQ(run({"provision", "device", "d1", "--site", "s1", store}).rc, 2);  // no --kind
  EXPECT_EQ(run({"provision", "device", "d1", "--site", "s1", "--kind", "toaster", store}).rc, 2);
  EXPECT_EQ(run({"provision", "edge", "e1", store}).rc, 2);                                   // no --site
  EXPECT_EQ(run({"broker-files", "--broker", "site", "--out", dir_.string(), store}).rc, 2);  // no --site
  EXPECT_EQ(run({"broker-files", "--broker", "moon", "--out", dir_.string(), store}).rc, 2);
  EXPECT_EQ(run({"credentials", "list", "--store=postgres://x"}).rc, 2);
  auto help = run({"provision", "--help"});
  EXPECT_EQ(help.rc, 0);
  EXPECT_NE(help.out.find("--store"), std::string::npos);
  EXPECT_NE(help.out.find("broker-files --broker cloud|site"), std::string::npos);
}

}  // namespace
}  // namespace tidewire::credentials

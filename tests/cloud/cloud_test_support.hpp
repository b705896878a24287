#pragma once
// Builders for batches and a fresh database path per test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "tidewire/v1/edge.pb.h"

namespace tidewire::cloud::testing {

inline constexpr int64_t kT0 = 1'700'000'000'000;  // ManualClock's default start

// The folder of this test process's databases, removed when the process exits.
inline const std::filesystem::path& temp_db_dir() {
  struct Dir {
    std::filesystem::path path = std::filesystem::temp_directory_path() / ("tw-cloud-" + std::to_string(::getpid()));
    ~Dir() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static Dir dir;
  return dir.path;
}

// A fresh SQLite path in this process's folder, named after `name` ('/' allowed: the
// names of parametrised tests have them).
inline std::string temp_db_path(std::string name) {
  const auto& dir = temp_db_dir();
  std::filesystem::create_directories(dir);
  std::replace(name.begin(), name.end(), '/', '_');
  auto p = dir / (name + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + suffix);
  return p.string();
}

// The same, named after the running test.
inline std::string temp_db_path() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return temp_db_path(std::string(info->test_suite_name()) + "." + info->name());
}

struct Who {
  std::string device = "poster-1";
  std::string site = "site-a";
  v1::DeviceKind kind = v1::DEVICE_KIND_POSTER;
  std::string boot = "boot-1";
};

inline v1::Envelope envelope(const Who& who, uint64_t seq, int64_t device_time_ms) {
  v1::Envelope e;
  e.set_device_id(who.device);
  e.set_site(who.site);
  e.set_kind(who.kind);
  e.set_boot_id(who.boot);
  e.set_seq(seq);
  e.set_device_time_ms(device_time_ms);
  return e;
}

inline v1::BatchItem item(v1::Envelope e, int64_t received_ms) {
  v1::BatchItem i;
  *i.mutable_envelope() = std::move(e);
  i.set_edge_received_ms(received_ms);
  return i;
}

inline v1::BatchItem event_item(const Who& who, uint64_t seq, int64_t received_ms = kT0,
                                const std::string& type = "display.changed") {
  auto e = envelope(who, seq, received_ms - 5);
  e.mutable_event()->set_type(type);
  (*e.mutable_event()->mutable_attributes())["creative"] = "c-" + std::to_string(seq);
  return item(std::move(e), received_ms);
}

inline v1::BatchItem poster_status_item(const Who& who, int64_t device_time_ms, uint32_t brightness,
                                        int64_t received_ms = kT0) {
  auto e = envelope(who, 0, device_time_ms);
  auto* p = e.mutable_status()->mutable_poster();
  p->set_brightness_pct(brightness);
  p->set_display_on(true);
  return item(std::move(e), received_ms);
}

inline v1::BatchItem presence_item(const Who& who, uint64_t session, bool online, int64_t received_ms = kT0) {
  auto e = envelope(who, 0, received_ms);
  e.mutable_presence()->set_online(online);
  e.mutable_presence()->set_session_seq(session);
  return item(std::move(e), received_ms);
}

inline v1::BatchItem result_item(const Who& who, uint64_t seq, const std::string& command_id,
                                 int64_t received_ms = kT0) {
  auto e = envelope(who, seq, received_ms);
  e.mutable_result()->set_command_id(command_id);
  e.mutable_result()->set_outcome(v1::COMMAND_OUTCOME_OK);
  e.mutable_result()->set_message("done");
  return item(std::move(e), received_ms);
}

inline v1::EdgeBatch batch(const std::string& edge, uint64_t batch_id, std::vector<v1::BatchItem> items,
                           const std::string& site = "site-a") {
  v1::EdgeBatch b;
  b.set_edge_id(edge);
  b.set_site(site);
  b.set_batch_id(batch_id);
  b.set_edge_time_ms(kT0);
  uint64_t spool = batch_id * 1000;
  for (auto& i : items) {
    *b.add_items() = std::move(i);
    b.add_spool_ids(spool++);
  }
  return b;
}

}  // namespace tidewire::cloud::testing

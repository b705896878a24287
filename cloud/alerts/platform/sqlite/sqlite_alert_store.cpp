#include "sqlite/sqlite_alert_store.hpp"

namespace tidewire::alerts {
namespace {

// Rules are kept as the same JSON the API takes, so a stored rule is re-validated by the
// one parser on load and a rule format change needs no SQL migration.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS alert_rules (
  rule_id TEXT PRIMARY KEY,
  definition TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_incidents (
  rule_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  seq INTEGER NOT NULL,
  opened_ms INTEGER NOT NULL,
  fire_sent INTEGER NOT NULL,
  cleared_ms INTEGER NOT NULL,
  clear_sent INTEGER NOT NULL,
  detail TEXT NOT NULL,
  PRIMARY KEY (rule_id, subject, seq)
);
)sql";

constexpr const char* kFinished = "cleared_ms != 0 AND fire_sent = 1 AND clear_sent = 1";

}  // namespace

Expected<std::unique_ptr<SqliteAlertStore>> SqliteAlertStore::open(const std::string& path, Clock& clock) {
  std::unique_ptr<SqliteAlertStore> store(new SqliteAlertStore(path, clock));
  auto db = sqlite::Database::open(path, true);
  if (!db) return db.error().with_context("open alert store " + path);
  store->db_ = std::move(*db);
  if (auto st = store->db_->exec(kSchema); !st) return st.error().with_context("create alert tables in " + path);
  auto upsert = store->db_->prepare(
      "INSERT INTO alert_incidents(rule_id, subject, seq, opened_ms, fire_sent, cleared_ms, clear_sent, detail) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(rule_id, subject, seq) DO UPDATE SET "
      "fire_sent = excluded.fire_sent, cleared_ms = excluded.cleared_ms, clear_sent = excluded.clear_sent");
  if (!upsert) return upsert.error().with_context("prepare alert store");
  store->upsert_incident_ = std::move(*upsert);
  auto prune = store->db_->prepare(std::string("DELETE FROM alert_incidents WHERE rule_id = ?1 AND subject = ?2 ") +
                                   "AND seq < ?3 AND " + kFinished);
  if (!prune) return prune.error().with_context("prepare alert store");
  store->prune_incidents_ = std::move(*prune);
  return store;
}

Expected<std::vector<AlertRule>> SqliteAlertStore::load_rules() {
  std::lock_guard lock(mu_);
  auto st = db_->prepare("SELECT rule_id, definition FROM alert_rules ORDER BY rule_id");
  if (!st) return st.error();
  std::vector<AlertRule> out;
  while (true) {
    auto row = st->step();
    if (!row) return row.error().with_context("read alert rules");
    if (!*row) break;
    auto parsed = parse_rule_json(st->column_text(1), RuleSource::kApi);
    if (!parsed.rule) {
      return make_error(ErrorCode::kMalformed, "stored alert rule " + st->column_text(0) + " in " + path_ +
                                                   " no longer parses (" + parsed.error.message +
                                                   "); delete its row from alert_rules or fix it");
    }
    out.push_back(std::move(*parsed.rule));
  }
  return out;
}

Status SqliteAlertStore::insert_rule(const AlertRule& rule) {
  std::lock_guard lock(mu_);
  auto st = db_->prepare("INSERT INTO alert_rules(rule_id, definition, created_ms) VALUES(?1, ?2, ?3)");
  if (!st) return st.error();
  st->bind(1, rule.id).bind(2, rule_to_json(rule)).bind(3, clock_.wall_ms());
  return st->run();
}

Status SqliteAlertStore::delete_rule(const std::string& rule_id) {
  std::lock_guard lock(mu_);
  auto st = db_->prepare("DELETE FROM alert_rules WHERE rule_id = ?1");
  if (!st) return st.error();
  st->bind(1, rule_id);
  return st->run();
}

Expected<std::vector<Incident>> SqliteAlertStore::load_unfinished() {
  std::lock_guard lock(mu_);
  auto st =
      db_->prepare(std::string("SELECT rule_id, subject, seq, opened_ms, fire_sent, cleared_ms, clear_sent, detail "
                               "FROM alert_incidents WHERE NOT (") +
                   kFinished + ") ORDER BY opened_ms, rule_id, subject, seq");
  if (!st) return st.error();
  std::vector<Incident> out;
  while (true) {
    auto row = st->step();
    if (!row) return row.error().with_context("read alert incidents");
    if (!*row) break;
    Incident i;
    i.rule_id = st->column_text(0);
    i.subject = st->column_text(1);
    i.seq = static_cast<uint64_t>(st->column_int(2));
    i.opened_ms = st->column_int(3);
    i.fire_sent = st->column_int(4) != 0;
    i.cleared_ms = st->column_int(5);
    i.clear_sent = st->column_int(6) != 0;
    i.detail = st->column_text(7);
    out.push_back(std::move(i));
  }
  return out;
}

Expected<std::map<std::pair<std::string, std::string>, uint64_t>> SqliteAlertStore::last_seqs() {
  std::lock_guard lock(mu_);
  auto st = db_->prepare("SELECT rule_id, subject, MAX(seq) FROM alert_incidents GROUP BY rule_id, subject");
  if (!st) return st.error();
  std::map<std::pair<std::string, std::string>, uint64_t> out;
  while (true) {
    auto row = st->step();
    if (!row) return row.error().with_context("read alert incident numbers");
    if (!*row) break;
    out[{st->column_text(0), st->column_text(1)}] = static_cast<uint64_t>(st->column_int(2));
  }
  return out;
}

Status SqliteAlertStore::save_incident(const Incident& i) {
  std::lock_guard lock(mu_);
  sqlite::Transaction tx(*db_);
  if (!tx.begun()) return tx.begun().error().with_context("save alert incident");
  upsert_incident_.bind(1, i.rule_id)
      .bind(2, i.subject)
      .bind(3, static_cast<int64_t>(i.seq))
      .bind(4, i.opened_ms)
      .bind(5, static_cast<int64_t>(i.fire_sent))
      .bind(6, i.cleared_ms)
      .bind(7, static_cast<int64_t>(i.clear_sent))
      .bind(8, i.detail);
  // A failed run leaves the statement mid-step; reset it so the next save can bind.
  if (auto st = upsert_incident_.run(); !st) {
    upsert_incident_.reset();
    return st.error().with_context("save alert incident");
  }
  prune_incidents_.bind(1, i.rule_id).bind(2, i.subject).bind(3, static_cast<int64_t>(i.seq));
  if (auto st = prune_incidents_.run(); !st) {
    prune_incidents_.reset();
    return st.error().with_context("prune alert incidents");
  }
  return tx.commit();
}

}  // namespace tidewire::alerts

#include "sqlite/sqlite_order_store.hpp"

#include <algorithm>

#include "tidewire/common/log.hpp"

namespace tidewire::dispatch {
namespace {

constexpr int64_t kSchemaVersion = 1;

// Orders and offers are stored whole as their wire form (OrderView, Offer) beside the
// columns we search by. State columns hold the v1 enum numbers, which never change.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS dispatch_meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dispatch_merchants (
  merchant_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  lat REAL NOT NULL,
  lon REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS dispatch_orders (
  order_id TEXT PRIMARY KEY,
  state INTEGER NOT NULL,
  open INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  idempotency_key TEXT UNIQUE,
  request_fingerprint BLOB NOT NULL,
  view BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS dispatch_orders_open ON dispatch_orders(open) WHERE open = 1;
CREATE TABLE IF NOT EXISTS dispatch_offers (
  offer_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  rider_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  offer BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS dispatch_offers_by_state ON dispatch_offers(state);
)sql";

constexpr const char* kOrderColumns = "view, idempotency_key, request_fingerprint";
constexpr const char* kOfferColumns = "offer, seq";

Expected<Order> order_from_row(const sqlite::Statement& st) {
  v1::OrderView view;
  if (!view.ParseFromString(st.column_blob(0))) {
    return make_error(ErrorCode::kMalformed, "a stored order does not parse; the database is damaged");
  }
  std::string key = st.column_is_null(1) ? std::string() : st.column_text(1);
  return order_from_view(view, std::move(key), st.column_blob(2));
}

Expected<OfferRecord> offer_from_row(const sqlite::Statement& st) {
  v1::Offer offer;
  if (!offer.ParseFromString(st.column_blob(0))) {
    return make_error(ErrorCode::kMalformed, "a stored offer does not parse; the database is damaged");
  }
  return offer_from_proto(offer, static_cast<uint64_t>(st.column_int(1)));
}

// Steps a point query once; the statement is reset for its next use either way.
template <typename T, typename Parse>
Expected<std::optional<T>> one_row(sqlite::Statement& st, Parse parse) {
  auto row = st.step();
  if (!row) return row.error();
  if (!*row) {
    st.reset();
    return std::optional<T>();
  }
  auto value = parse(st);
  st.reset();
  if (!value) return value.error();
  return std::optional<T>(std::move(*value));
}

}  // namespace

Expected<std::unique_ptr<SqliteOrderStore>> SqliteOrderStore::open(const std::string& path) {
  std::unique_ptr<SqliteOrderStore> store(new SqliteOrderStore(path));
  auto writer = sqlite::Database::open(path, true);
  if (!writer) return writer.error().with_context("open order store");
  store->writer_ = std::move(*writer);
  if (auto st = store->create_schema(); !st) return st.error();
  auto reader = sqlite::Database::open(path, true);
  if (!reader) return reader.error().with_context("open order store reader");
  store->reader_ = std::move(*reader);
  if (auto st = store->prepare_statements(); !st) return st.error();
  return store;
}

Status SqliteOrderStore::create_schema() {
  if (auto st = writer_->exec(kSchema); !st) return st.error().with_context("create dispatch schema in " + path_);
  auto version = writer_->prepare("SELECT value FROM dispatch_meta WHERE key = 'schema_version'");
  if (!version) return version.error();
  auto has = version->step();
  if (!has) return has.error();
  if (*has && version->column_int(0) > kSchemaVersion) {
    return make_error(ErrorCode::kInvalidArgument, path_ + " holds dispatch schema version " +
                                                       std::to_string(version->column_int(0)) +
                                                       ", newer than this build's " + std::to_string(kSchemaVersion) +
                                                       " (run a newer tidewire-cloud or point it at another database)");
  }
  version->reset();
  return writer_->exec("INSERT OR IGNORE INTO dispatch_meta(key, value) VALUES('schema_version', " +
                       std::to_string(kSchemaVersion) + ")");
}

Status SqliteOrderStore::prepare_statements() {
  struct Item {
    sqlite::Database* db;
    sqlite::Statement* slot;
    std::string sql;
  };
  std::vector<Item> items{
      {writer_.get(), &upsert_merchant_,
       "INSERT INTO dispatch_merchants(merchant_id, name, lat, lon) VALUES(?1, ?2, ?3, ?4) "
       "ON CONFLICT(merchant_id) DO UPDATE SET name = excluded.name, lat = excluded.lat, lon = excluded.lon"},
      {writer_.get(), &upsert_order_,
       "INSERT INTO dispatch_orders(order_id, state, open, updated_ms, idempotency_key, request_fingerprint, view) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(order_id) DO UPDATE SET state = excluded.state, "
       "open = excluded.open, updated_ms = excluded.updated_ms, view = excluded.view"},
      {writer_.get(), &upsert_offer_,
       "INSERT INTO dispatch_offers(offer_id, seq, rider_id, state, expires_ms, offer) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
       "ON CONFLICT(offer_id) DO UPDATE SET state = excluded.state, offer = excluded.offer"},
      {reader_.get(), &select_order_,
       std::string("SELECT ") + kOrderColumns + " FROM dispatch_orders WHERE order_id = ?1"},
      {reader_.get(), &select_order_by_key_,
       std::string("SELECT ") + kOrderColumns + " FROM dispatch_orders WHERE idempotency_key = ?1"},
      {reader_.get(), &select_offer_,
       std::string("SELECT ") + kOfferColumns + " FROM dispatch_offers WHERE offer_id = ?1"},
  };
  for (auto& item : items) {
    auto st = item.db->prepare(item.sql);
    if (!st) return st.error().with_context("prepare order store statements");
    *item.slot = std::move(*st);
  }
  return {};
}

Status SqliteOrderStore::put_merchant(const Merchant& m) {
  std::lock_guard lock(write_mu_);
  upsert_merchant_.bind(1, std::string_view(m.merchant_id))
      .bind(2, std::string_view(m.name))
      .bind(3, m.lat)
      .bind(4, m.lon);
  if (auto st = upsert_merchant_.run(); !st) {
    upsert_merchant_.reset();
    return st.error().with_context("store merchant " + m.merchant_id);
  }
  return {};
}

Status SqliteOrderStore::write_order(const Order& o) {
  int64_t updated = o.timeline.empty() ? o.created_ms : o.timeline.back().at_ms;
  upsert_order_.bind(1, std::string_view(o.order_id))
      .bind(2, static_cast<int64_t>(to_proto(o.state)))
      .bind(3, static_cast<int64_t>(is_open(o.state) ? 1 : 0))
      .bind(4, updated);
  if (o.idempotency_key.empty())
    upsert_order_.bind_null(5);
  else
    upsert_order_.bind(5, std::string_view(o.idempotency_key));
  upsert_order_.bind_blob(6, o.request_fingerprint).bind_blob(7, to_view(o).SerializeAsString());
  if (auto st = upsert_order_.run(); !st) {
    upsert_order_.reset();
    return st.error().with_context("store order " + o.order_id);
  }
  return {};
}

Status SqliteOrderStore::write_offer(const OfferRecord& r) {
  upsert_offer_.bind(1, std::string_view(r.offer_id))
      .bind(2, static_cast<int64_t>(r.seq))
      .bind(3, std::string_view(r.rider_id))
      .bind(4, static_cast<int64_t>(to_proto(r.state)))
      .bind(5, r.expires_ms)
      .bind_blob(6, to_proto(r).SerializeAsString());
  if (auto st = upsert_offer_.run(); !st) {
    upsert_offer_.reset();
    return st.error().with_context("store offer " + r.offer_id);
  }
  return {};
}

Status SqliteOrderStore::apply(const OrderChange& change) {
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*writer_);
  if (!tx.begun()) return tx.begun().error().with_context("begin order transition");
  for (const auto& o : change.orders)
    if (auto st = write_order(o); !st) return st;
  for (const auto& r : change.offers)
    if (auto st = write_offer(r); !st) return st;
  if (before_commit_) {
    if (auto st = before_commit_(); !st) return st;
  }
  if (auto st = tx.commit(); !st) return st.error().with_context("commit order transition");
  return {};
}

Expected<std::optional<Order>> SqliteOrderStore::find_order(const std::string& order_id) {
  std::lock_guard lock(read_mu_);
  select_order_.bind(1, std::string_view(order_id));
  return one_row<Order>(select_order_, order_from_row);
}

Expected<std::optional<Order>> SqliteOrderStore::find_order_by_key(const std::string& key) {
  std::lock_guard lock(read_mu_);
  select_order_by_key_.bind(1, std::string_view(key));
  return one_row<Order>(select_order_by_key_, order_from_row);
}

Expected<std::optional<OfferRecord>> SqliteOrderStore::find_offer(const std::string& offer_id) {
  std::lock_guard lock(read_mu_);
  select_offer_.bind(1, std::string_view(offer_id));
  return one_row<OfferRecord>(select_offer_, offer_from_row);
}

Expected<StoreSnapshot> SqliteOrderStore::load() {
  std::lock_guard lock(write_mu_);
  StoreSnapshot s;
  auto collect = [&](const std::string& sql, auto&& each) -> Status {
    auto st = writer_->prepare(sql);
    if (!st) return st.error();
    while (true) {
      auto row = st->step();
      if (!row) return row.error().with_context("load dispatch state from " + path_);
      if (!*row) return {};
      if (auto r = each(*st); !r) return r;
    }
  };
  Status st = collect("SELECT merchant_id, name, lat, lon FROM dispatch_merchants", [&](sqlite::Statement& row) {
    s.merchants.push_back(Merchant{row.column_text(0), row.column_text(1), row.column_double(2), row.column_double(3)});
    return Status();
  });
  if (!st) return st.error();
  st = collect(std::string("SELECT ") + kOrderColumns + " FROM dispatch_orders WHERE open = 1",
               [&](sqlite::Statement& row) -> Status {
                 auto o = order_from_row(row);
                 if (!o) return o.error();
                 s.open_orders.push_back(std::move(*o));
                 return {};
               });
  if (!st) return st.error();
  st = collect(std::string("SELECT ") + kOfferColumns +
                   " FROM dispatch_offers WHERE state = " + std::to_string(static_cast<int>(v1::OFFER_STATE_PENDING)),
               [&](sqlite::Statement& row) -> Status {
                 auto r = offer_from_row(row);
                 if (!r) return r.error();
                 s.pending_offers.push_back(std::move(*r));
                 return {};
               });
  if (!st) return st.error();
  st = collect("SELECT state, COUNT(*) FROM dispatch_orders GROUP BY state", [&](sqlite::Statement& row) -> Status {
    auto state = order_state_from_proto(static_cast<v1::OrderState>(row.column_int(0)));
    if (!state) return state.error();
    s.orders_by_state[static_cast<size_t>(*state)] = static_cast<uint64_t>(row.column_int(1));
    return {};
  });
  if (!st) return st.error();
  st = collect("SELECT state, COUNT(*) FROM dispatch_offers GROUP BY state", [&](sqlite::Statement& row) -> Status {
    auto state = offer_state_from_proto(static_cast<v1::OfferState>(row.column_int(0)));
    if (!state) return state.error();
    s.offers_by_state[static_cast<size_t>(*state)] = static_cast<uint64_t>(row.column_int(1));
    return {};
  });
  if (!st) return st.error();
  st = collect("SELECT COALESCE(MAX(seq), 0) FROM dispatch_offers", [&](sqlite::Statement& row) {
    s.next_offer_seq = static_cast<uint64_t>(row.column_int(0)) + 1;
    return Status();
  });
  if (!st) return st.error();
  TW_INFO("dispatch", "order store " << path_ << ": " << s.merchants.size() << " merchants, " << s.open_orders.size()
                                     << " open orders, " << s.pending_offers.size() << " pending offers");
  return s;
}

}  // namespace tidewire::dispatch

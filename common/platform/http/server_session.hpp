#pragma once
// Internal to tw_http (only server.cpp and server_tls.cpp include it): the state a Server
// shares with its connections, and one connection, written once for any stream: a plain
// TCP stream (server.cpp) or TLS over it (server_tls.cpp).
//
// A connection's states:
//   [begin]    plain: nothing; TLS: the handshake, within read_timeout_ms
//      |
//   read header (read_timeout_ms for the first request, idle_timeout_ms between requests)
//      |-- "Expect: 100-continue" -> write 100 (write_timeout_ms)
//   read body (read_timeout_ms) -> handler -> write response (write_timeout_ms)
//      |-- kept alive ------------------------------------------> read header
//      |-- not kept alive -> [finish]  plain: close; TLS: close_notify, then close
//   error reply (413, 431, 400) -> write -> drain what the peer still sends -> close
// A timeout, a failed write or a peer that leaves ends it at once (close).
#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "http/server.hpp"
#include "tidewire/common/log.hpp"

namespace tidewire::http {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// The certificate and key loaded into an OpenSSL context (server_tls.cpp).
class TlsContext;
Expected<std::shared_ptr<TlsContext>> load_tls_context(const std::string& cert_file, const std::string& key_file);

// Serve one accepted connection until it ends: in plain HTTP, or in HTTPS with server.tls.
void serve_plain(tcp::socket&& socket, Server::Impl& server);
void serve_tls(tcp::socket&& socket, Server::Impl& server);

struct Server::Impl {
  Impl(const ServerOptions& o, Router r) : options(o), router(std::move(r)), ioc(std::max(1, o.threads)) {}

  void accept();
  void count_reject(const char* reason) {
    if (options.metrics) {
      options.metrics
          ->counter("tw_http_rejects_total", "HTTP requests or connections refused, by reason",
                    {{"server", options.name}, {"reason", reason}})
          .inc();
    }
  }
  void count_request(const std::string& method, const std::string& route, int status, double ms) {
    if (!options.metrics) return;
    options.metrics
        ->counter("tw_http_requests_total", "HTTP requests answered, by route and status",
                  {{"server", options.name}, {"method", method}, {"route", route}, {"status", std::to_string(status)}})
        .inc();
    options.metrics
        ->histogram("tw_http_request_duration_ms", "Time from request received to response ready", default_ms_buckets(),
                    {{"server", options.name}, {"route", route}})
        .observe(ms);
  }
  void connection_delta(int d) {
    int now = connections.fetch_add(d) + d;
    if (options.metrics) {
      options.metrics->gauge("tw_http_connections", "Open HTTP connections", {{"server", options.name}}).set(now);
    }
  }

  // Declared before the io_context: sessions destroyed with it still touch these (a TLS
  // stream refers to the context it was made from).
  ServerOptions options;
  Router router;
  std::shared_ptr<TlsContext> tls;  // null = plain HTTP
  std::atomic<int> connections{0};
  std::atomic<bool> stopping{false};
  int port = 0;
  std::mutex stop_mu;
  bool stopped = false;

  net::io_context ioc;
  tcp::acceptor acceptor{net::make_strand(ioc)};
  net::steady_timer accept_retry{acceptor.get_executor()};
  std::vector<std::thread> threads;
};

using Millis = std::chrono::milliseconds;

// One connection (the states above). Stream is beast::tcp_stream or a TLS stream over
// one; begin() and finish(), the only steps that differ, are specialised beside each.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... StreamArgs>
  explicit Session(Server::Impl& server, StreamArgs&&... args)
      : stream_(std::forward<StreamArgs>(args)...), server_(server) {
    server_.connection_delta(+1);
  }
  ~Session() { server_.connection_delta(-1); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() { net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::begin, self())); }

 private:
  std::shared_ptr<Session> self() { return this->shared_from_this(); }
  const ServerOptions& options() const { return server_.options; }
  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }

  void begin();   // then read_header()
  void finish();  // the response said the connection ends

  void read_header() {
    parser_.emplace();
    parser_->body_limit(options().max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(std::min<size_t>(options().max_header_bytes, UINT32_MAX)));
    tcp_layer().expires_after(Millis(served_ == 0 ? options().read_timeout_ms : options().idle_timeout_ms));
    bhttp::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_header, self()));
  }

  void on_header(beast::error_code ec, size_t) {
    if (ec) return on_read_error(ec);
    started_ = std::chrono::steady_clock::now();
    // A client that waits for "100 Continue" before sending the body gets it only once
    // the headers passed the limits above.
    if (beast::iequals(parser_->get()[bhttp::field::expect], "100-continue")) {
      continue_.emplace(bhttp::status::continue_, parser_->get().version());
      tcp_layer().expires_after(Millis(options().write_timeout_ms));
      bhttp::async_write(stream_, *continue_, beast::bind_front_handler(&Session::on_continue, self()));
      return;
    }
    read_body();
  }

  void on_continue(beast::error_code ec, size_t) {
    if (ec) return close();
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return handle();
    tcp_layer().expires_after(Millis(options().read_timeout_ms));
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_body, self()));
  }

  void on_body(beast::error_code ec, size_t) {
    if (ec) return on_read_error(ec);
    handle();
  }

  void on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      server_.count_reject("body_too_large");
      return reply_and_close(
          error_response(413, "body_too_large",
                         "request body exceeds the limit of " + std::to_string(options().max_body_bytes) + " bytes"));
    }
    if (ec == bhttp::error::header_limit) {
      server_.count_reject("header_too_large");
      return reply_and_close(error_response(431, "header_too_large", "request headers exceed the limit"));
    }
    if (ec == beast::error::timeout) {
      // An idle keep-alive connection timing out is normal; a request that stalled
      // half-way is a peer holding resources, and worth counting.
      if (parser_->got_some()) {
        server_.count_reject("timeout");
        TW_DEBUG(options().name, "dropping a connection that stalled mid-request");
      }
      return close();
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      server_.count_reject("bad_request");
      return reply_and_close(error_response(400, "malformed_http", "malformed HTTP request: " + ec.message()));
    }
    close();  // peer closed or reset: nothing to answer
  }

  void handle() {
    auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& field : msg) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      auto [it, inserted] = req.headers.try_emplace(name, std::string(field.value()));
      if (!inserted) it->second += ", " + std::string(field.value());
    }
    req.body = std::move(msg.body());
    beast::error_code peer_ec;
    auto peer = tcp_layer().socket().remote_endpoint(peer_ec);
    if (!peer_ec) req.remote_address = peer.address().to_string();
    std::string route;
    Response res = server_.router.dispatch(req, route);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    server_.count_request(req.method, route, res.status, ms);
    write(std::move(res), msg.keep_alive() && !server_.stopping.load(), msg.version());
  }

  void write(Response res, bool keep_alive, unsigned version) {
    res_.emplace(static_cast<bhttp::status>(res.status), version);
    res_->set(bhttp::field::server, "tidewire");
    if (!res.content_type.empty()) res_->set(bhttp::field::content_type, res.content_type);
    for (const auto& [name, value] : res.headers) res_->set(name, value);
    res_->body() = std::move(res.body);
    res_->keep_alive(keep_alive);
    res_->prepare_payload();
    tcp_layer().expires_after(Millis(options().write_timeout_ms));
    bhttp::async_write(stream_, *res_, beast::bind_front_handler(&Session::on_write, self()));
  }

  void on_write(beast::error_code ec, size_t) {
    if (ec) return close();
    if (closing_) return drain();
    if (!res_->keep_alive()) return finish();
    ++served_;
    read_header();
  }

  void reply_and_close(Response res) {
    closing_ = true;
    write(std::move(res), false, parser_->get().version() == 10 ? 10 : 11);
  }

  // After an error reply the client may still be sending its body. Closing with unread
  // bytes makes the kernel send a reset, which can destroy the reply in the client's
  // receive buffer; so stop sending, read and discard for a bounded time, then close.
  // The bytes are read below TLS, if any: they are discarded unread either way.
  void drain() {
    beast::error_code ignored;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
    tcp_layer().expires_after(Millis(std::min<int64_t>(options().read_timeout_ms, 2000)));
    tcp_layer().async_read_some(net::buffer(scratch_), beast::bind_front_handler(&Session::on_drain, self()));
  }

  void on_drain(beast::error_code ec, size_t n) {
    drained_ += n;
    if (ec || drained_ > 4 * options().max_body_bytes + (1u << 20)) return close();
    tcp_layer().async_read_some(net::buffer(scratch_), beast::bind_front_handler(&Session::on_drain, self()));
  }

  void close() {
    beast::error_code ignored;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp_layer().close();
  }

  Stream stream_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::empty_body>> continue_;
  std::optional<bhttp::response<bhttp::string_body>> res_;
  std::chrono::steady_clock::time_point started_;
  uint64_t served_ = 0;
  bool closing_ = false;
  size_t drained_ = 0;
  std::array<char, 16 * 1024> scratch_{};
};

}  // namespace tidewire::http

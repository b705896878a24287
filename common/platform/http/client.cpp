#include "http/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

namespace tidewire::http {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Tests read metrics pages and event lists; anything bigger is a bug on the far side.
constexpr size_t kMaxResponseBody = 64 * 1024 * 1024;

// Runs one exchange as a chain of async operations on a private io_context, because
// only async operations honour tcp_stream's deadline.
class Exchange {
 public:
  Exchange(const std::string& host, int port, bhttp::request<bhttp::string_body> request, int64_t timeout_ms)
      : host_(host), port_(port), request_(std::move(request)), timeout_ms_(timeout_ms) {}

  beast::error_code run() {
    stream_.expires_after(std::chrono::milliseconds(timeout_ms_));
    resolver_.async_resolve(host_, std::to_string(port_), [this](beast::error_code ec, tcp::resolver::results_type r) {
      if (ec) return finish(ec);
      stream_.async_connect(r, [this](beast::error_code cec, const tcp::endpoint&) {
        if (cec) return finish(cec);
        bhttp::async_write(stream_, request_, [this](beast::error_code wec, size_t) {
          if (wec) return finish(wec);
          bhttp::async_read(stream_, buffer_, parser_, [this](beast::error_code rec, size_t) { finish(rec); });
        });
      });
    });
    parser_.body_limit(kMaxResponseBody);
    ioc_.run();
    return result_;
  }

  bhttp::response<bhttp::string_body>& response() { return parser_.get(); }

 private:
  void finish(beast::error_code ec) {
    result_ = ec;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  std::string host_;
  int port_;
  bhttp::request<bhttp::string_body> request_;
  int64_t timeout_ms_;
  net::io_context ioc_;
  tcp::resolver resolver_{ioc_};
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
  bhttp::response_parser<bhttp::string_body> parser_;
  beast::error_code result_;
};

bhttp::request<bhttp::string_body> make_request(const std::string& host, int port, const std::string& method,
                                                const std::string& target, const std::string& body,
                                                const HeaderList& headers, bool keep_alive) {
  bhttp::request<bhttp::string_body> req;
  req.version(11);
  req.method_string(method);
  req.target(target);
  req.set(bhttp::field::host, host + ":" + std::to_string(port));
  req.set(bhttp::field::user_agent, "tidewire-http-client");
  req.keep_alive(keep_alive);
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") req.prepare_payload();
  return req;
}

Expected<Response> to_result(beast::error_code ec, bhttp::response<bhttp::string_body>& res, const std::string& what,
                             int64_t timeout_ms) {
  if (ec == beast::error::timeout) {
    return make_error(ErrorCode::kTimeout, what + ": no complete answer within " + std::to_string(timeout_ms) + " ms");
  }
  if (ec == net::error::connection_refused) {
    return make_error(ErrorCode::kUnavailable, what + ": connection refused (is the server running?)");
  }
  if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
    return make_error(ErrorCode::kMalformed, what + ": not an HTTP response: " + ec.message());
  }
  if (ec) return make_error(ErrorCode::kIo, what + ": " + ec.message());
  Response out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(res[bhttp::field::content_type]);
  for (const auto& field : res) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.body = std::move(res.body());
  return out;
}

}  // namespace

Expected<Response> http_request(const std::string& host, int port, const std::string& method, const std::string& target,
                                const std::string& body, int64_t timeout_ms, const HeaderList& headers) {
  Exchange exchange(host, port, make_request(host, port, method, target, body, headers, false), timeout_ms);
  beast::error_code ec = exchange.run();
  return to_result(ec, exchange.response(), method + " http://" + host + ":" + std::to_string(port) + target,
                   timeout_ms);
}

struct Connection::Impl {
  std::string host;
  int port;
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool open = false;
  uint64_t connects = 0;

  void close() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    buffer.clear();
    open = false;
  }

  // One exchange on the open connection (opening it first if needed), within timeout_ms.
  beast::error_code exchange(const bhttp::request<bhttp::string_body>& req,
                             bhttp::response_parser<bhttp::string_body>& parser, int64_t timeout_ms) {
    beast::error_code result;
    tcp::resolver resolver(ioc);
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    auto send = [&] {
      bhttp::async_write(stream, req, [&](beast::error_code wec, size_t) {
        if (wec) {
          result = wec;
          return;
        }
        bhttp::async_read(stream, buffer, parser, [&](beast::error_code rec, size_t) { result = rec; });
      });
    };
    if (open) {
      send();
    } else {
      resolver.async_resolve(host, std::to_string(port), [&](beast::error_code ec, tcp::resolver::results_type r) {
        if (ec) {
          result = ec;
          return;
        }
        stream.async_connect(r, [&](beast::error_code cec, const tcp::endpoint&) {
          if (cec) {
            result = cec;
            return;
          }
          open = true;
          ++connects;
          send();
        });
      });
    }
    ioc.restart();
    ioc.run();
    stream.expires_never();
    return result;
  }
};

Connection::Connection(std::string host, int port) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
}

Connection::~Connection() {
  if (impl_->open) impl_->close();
}

uint64_t Connection::connects() const { return impl_->connects; }

Expected<Response> Connection::request(const std::string& method, const std::string& target, const std::string& body,
                                       int64_t timeout_ms, const HeaderList& headers) {
  auto req = make_request(impl_->host, impl_->port, method, target, body, headers, true);
  const std::string what = method + " http://" + impl_->host + ":" + std::to_string(impl_->port) + target;
  for (int attempt = 0;; ++attempt) {
    const bool reused = impl_->open;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxResponseBody);
    beast::error_code ec = impl_->exchange(req, parser, timeout_ms);
    if (ec) {
      impl_->close();
      // The server closed a kept-alive connection (idle timeout, restart) before or as
      // this request went out: once more on a fresh connection. Not after a timeout,
      // which the caller's budget has already spent.
      if (reused && attempt == 0 && ec != beast::error::timeout) continue;
      return to_result(ec, parser.get(), what, timeout_ms);
    }
    if (!parser.get().keep_alive()) impl_->close();
    return to_result(ec, parser.get(), what, timeout_ms);
  }
}

}  // namespace tidewire::http

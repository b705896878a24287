#include "http/client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <optional>

namespace tidewire::http {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Tests read metrics pages and event lists; anything bigger is a bug on the far side.
constexpr size_t kMaxResponseBody = 64 * 1024 * 1024;

using Parser = bhttp::response_parser<bhttp::string_body>;

struct Outcome {
  beast::error_code ec;
  bool in_handshake = false;  // ec came from the TLS handshake
};

// One connection to host:port, plain or TLS, driven as a chain of async operations on a
// private io_context, because only async operations honour tcp_stream's deadline.
class Link {
 public:
  Link(std::string host, int port, const ClientTls& tls) : host_(std::move(host)), port_(port) {
    if (tls.ca_file.empty()) return;
    ssl_.emplace(net::ssl::context::tls_client);
    ssl_->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_compression);
    SSL_CTX_set_min_proto_version(ssl_->native_handle(), TLS1_2_VERSION);
    beast::error_code ec;
    ssl_->load_verify_file(tls.ca_file, ec);
    if (ec) {
      setup_error_ =
          make_error(ErrorCode::kInvalidArgument, "cannot load the CA file " + tls.ca_file + ": " + ec.message());
    }
    ssl_->set_verify_mode(net::ssl::verify_peer);
  }
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  ~Link() { close(); }

  const std::optional<Error>& setup_error() const { return setup_error_; }
  bool open() const { return open_; }
  uint64_t connects() const { return connects_; }
  std::string url(const std::string& target) const {
    return std::string(ssl_ ? "https://" : "http://") + host_ + ":" + std::to_string(port_) + target;
  }

  // Sends req and reads the answer into parser, connecting first unless open, all
  // within timeout_ms.
  Outcome exchange(const bhttp::request<bhttp::string_body>& req, Parser& parser, int64_t timeout_ms) {
    Outcome out;
    auto send = [&] {
      with_stream([&](auto& stream) {
        bhttp::async_write(stream, req, [&](beast::error_code wec, size_t) {
          if (wec) {
            out.ec = wec;
            return;
          }
          bhttp::async_read(stream, buffer_, parser, [&](beast::error_code rec, size_t) { out.ec = rec; });
        });
      });
    };
    tcp::resolver resolver(ioc_);
    if (!open_) fresh_stream();
    tcp_layer().expires_after(std::chrono::milliseconds(timeout_ms));
    if (open_) {
      send();
    } else {
      resolver.async_resolve(host_, std::to_string(port_), [&](beast::error_code ec, tcp::resolver::results_type r) {
        if (ec) {
          out.ec = ec;
          return;
        }
        tcp_layer().async_connect(r, [&](beast::error_code cec, const tcp::endpoint&) {
          if (cec) {
            out.ec = cec;
            return;
          }
          open_ = true;
          ++connects_;
          if (!secure_) return send();
          secure_->async_handshake(net::ssl::stream_base::client, [&](beast::error_code hec) {
            if (!hec) return send();
            out.ec = hec;
            out.in_handshake = true;
          });
        });
      });
    }
    ioc_.restart();
    ioc_.run();
    tcp_layer().expires_never();
    return out;
  }

  // Without TLS's close_notify: the answer has been read whole, so nothing can be cut off.
  void close() {
    if (!plain_ && !secure_) return;
    beast::error_code ignored;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp_layer().close();
    buffer_.clear();
    open_ = false;
  }

 private:
  beast::tcp_stream& tcp_layer() { return secure_ ? beast::get_lowest_layer(*secure_) : *plain_; }

  template <class F>
  void with_stream(F&& f) {
    if (secure_) {
      f(*secure_);
    } else {
      f(*plain_);
    }
  }

  // A TLS session cannot be reused once its connection closed: each connection gets a
  // new stream, told which name (or address) the certificate must carry.
  void fresh_stream() {
    if (!ssl_) {
      if (!plain_) plain_.emplace(ioc_);
      return;
    }
    secure_.emplace(ioc_, *ssl_);
    secure_->set_verify_callback(net::ssl::host_name_verification(host_));
    beast::error_code not_address;
    net::ip::make_address(host_, not_address);
    // SNI names hosts only, never addresses. (SSL_set_tlsext_host_name, without its C cast.)
    if (not_address) {
      SSL_ctrl(secure_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(host_.c_str()));
    }
  }

  std::string host_;
  int port_;
  std::optional<Error> setup_error_;
  net::io_context ioc_;
  std::optional<net::ssl::context> ssl_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure_;
  beast::flat_buffer buffer_;
  bool open_ = false;
  uint64_t connects_ = 0;
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

Expected<Response> to_result(const Outcome& outcome, bhttp::response<bhttp::string_body>& res, const std::string& what,
                             int64_t timeout_ms) {
  const beast::error_code& ec = outcome.ec;
  if (ec == beast::error::timeout) {
    return make_error(ErrorCode::kTimeout, what + ": no complete answer within " + std::to_string(timeout_ms) + " ms");
  }
  if (ec == net::error::connection_refused) {
    return make_error(ErrorCode::kUnavailable, what + ": connection refused (is the server running?)");
  }
  if (outcome.in_handshake) {
    return make_error(ErrorCode::kUnavailable,
                      what + ": TLS handshake failed: " + ec.message() +
                          " (does the server speak HTTPS, with a certificate from this CA naming this host?)",
                      "tls_handshake");
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
  return http_request(ClientTls{}, host, port, method, target, body, timeout_ms, headers);
}

Expected<Response> http_request(const ClientTls& tls, const std::string& host, int port, const std::string& method,
                                const std::string& target, const std::string& body, int64_t timeout_ms,
                                const HeaderList& headers) {
  Link link(host, port, tls);
  if (link.setup_error()) return *link.setup_error();
  Parser parser;
  parser.body_limit(kMaxResponseBody);
  Outcome outcome = link.exchange(make_request(host, port, method, target, body, headers, false), parser, timeout_ms);
  link.close();
  return to_result(outcome, parser.get(), method + " " + link.url(target), timeout_ms);
}

struct Connection::Impl {
  Impl(std::string h, int p, const ClientTls& tls) : host(std::move(h)), port(p), link(host, port, tls) {}
  std::string host;
  int port;
  Link link;
};

Connection::Connection(std::string host, int port, ClientTls tls)
    : impl_(std::make_unique<Impl>(std::move(host), port, tls)) {}

Connection::~Connection() = default;

uint64_t Connection::connects() const {
  return impl_->link.connects();
}

Expected<Response> Connection::request(const std::string& method, const std::string& target, const std::string& body,
                                       int64_t timeout_ms, const HeaderList& headers) {
  Link& link = impl_->link;
  if (link.setup_error()) return *link.setup_error();
  auto req = make_request(impl_->host, impl_->port, method, target, body, headers, true);
  const std::string what = method + " " + link.url(target);
  for (int attempt = 0;; ++attempt) {
    const bool reused = link.open();
    Parser parser;
    parser.body_limit(kMaxResponseBody);
    Outcome outcome = link.exchange(req, parser, timeout_ms);
    if (outcome.ec) {
      link.close();
      // The server closed a kept-alive connection (idle timeout, restart) before or as
      // this request went out: once more on a fresh connection. Not after a timeout,
      // which the caller's budget has already spent.
      if (reused && attempt == 0 && outcome.ec != beast::error::timeout) continue;
      return to_result(outcome, parser.get(), what, timeout_ms);
    }
    if (!parser.get().keep_alive()) link.close();
    return to_result(outcome, parser.get(), what, timeout_ms);
  }
}

}  // namespace tidewire::http

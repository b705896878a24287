// HTTPS for the server: the OpenSSL context made from the certificate and key, and the
// two steps in which a TLS connection differs from a plain one (server_session.hpp).
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include "http/server_session.hpp"

namespace tidewire::http {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

class TlsContext {
 public:
  net::ssl::context ssl{net::ssl::context::tls_server};
};

Expected<std::shared_ptr<TlsContext>> load_tls_context(const std::string& cert_file, const std::string& key_file) {
  auto bad = [](const std::string& message) { return make_error(ErrorCode::kInvalidArgument, message); };
  if (cert_file.empty() || key_file.empty()) {
    return bad("HTTPS needs both a certificate and its private key (only one was given)");
  }
  auto tls = std::make_shared<TlsContext>();
  net::ssl::context& ctx = tls->ssl;
  // An encrypted key would make OpenSSL ask for its pass phrase on the terminal, and a
  // server has nobody to answer: refuse it instead.
  ctx.set_password_callback([](size_t, net::ssl::context::password_purpose) { return std::string(); });
  // TLS 1.2 at least; no compression (CRIME); no renegotiation, which TLS 1.3 dropped and
  // which would let a client make the server redo the expensive part on one connection.
  ctx.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_compression);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.native_handle(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  beast::error_code ec;
  ctx.use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return bad("cannot load the TLS certificate " + cert_file +
               " (a PEM certificate, its chain after it): " + ec.message());
  }
  ctx.use_private_key_file(key_file, net::ssl::context::pem, ec);
  if (ec) return bad("cannot load the TLS key " + key_file + " (an unencrypted PEM private key): " + ec.message());
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    ERR_clear_error();
    return bad("the TLS key " + key_file + " does not belong to the certificate " + cert_file);
  }
  return tls;
}

// The handshake comes first, under the read timeout, so a peer that connects and says
// nothing holds its connection no longer than one that stalls mid-request.
template <>
void Session<TlsStream>::begin() {
  tcp_layer().expires_after(Millis(options().read_timeout_ms));
  stream_.async_handshake(net::ssl::stream_base::server, [self = self()](beast::error_code ec) {
    if (!ec) return self->read_header();
    // Counted: a peer that spoke something other than TLS (plain HTTP), refused the
    // certificate, or said nothing in time. Not counted: one that merely left (a port
    // probe, a client giving up), as a plain connection closed before a request is not.
    if (ec == beast::error::timeout || ec.category() == net::error::get_ssl_category()) {
      self->server_.count_reject("tls_handshake");
      TW_DEBUG(self->options().name, "TLS handshake failed: " << ec.message());
    }
    self->close();
  });
}

// close_notify tells the client the response ends here rather than being cut off. Its
// own close_notify is awaited for at most the write timeout.
template <>
void Session<TlsStream>::finish() {
  tcp_layer().expires_after(Millis(options().write_timeout_ms));
  stream_.async_shutdown([self = self()](beast::error_code) { self->close(); });
}

void serve_tls(tcp::socket&& socket, Server::Impl& server) {
  std::make_shared<Session<TlsStream>>(server, std::move(socket), server.tls->ssl)->start();
}

}  // namespace tidewire::http

// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/tls_session.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <climits>

#include "proxy/transport/tls_identity.h"

namespace proxy::transport {
namespace {

bool isIpLiteral(std::string_view name) {
  std::string text(name);
  in6_addr buf{};
  return inet_pton(AF_INET, text.c_str(), &buf) == 1 ||
         inet_pton(AF_INET6, text.c_str(), &buf) == 1;
}

SSL* newSsl(const TlsContext& context) {
  SSL* ssl = SSL_new(context.get());
  if (ssl == nullptr) {
    return nullptr;
  }
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_bio(ssl, in, out);  // ssl owns both BIOs from here
  return ssl;
}

}  // namespace

TlsSession::TlsSession(SSL* ssl) : ssl_(ssl), in_(SSL_get_rbio(ssl)), out_(SSL_get_wbio(ssl)) {}

TlsSession::~TlsSession() { SSL_free(ssl_); }

std::unique_ptr<TlsSession> TlsSession::accept(const TlsContext& context) {
  SSL* ssl = newSsl(context);
  if (ssl == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return std::unique_ptr<TlsSession>(new TlsSession(ssl));
}

std::unique_ptr<TlsSession> TlsSession::connect(const TlsContext& context,
                                                std::string_view server_name) {
  SSL* ssl = newSsl(context);
  if (ssl == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  SSL_set_connect_state(ssl);
  std::string name(server_name);
  bool ok = true;
  if (!name.empty() && !isIpLiteral(name)) {
    ok = SSL_set_tlsext_host_name(ssl, name.c_str()) == 1;  // RFC 6066 §3 SNI: names only
  }
  if (ok && context.verifiesPeer() && !name.empty()) {
    // Checked during the handshake. No wildcards (RFC 5922 §7.2); the subject CN is only
    // consulted when no dNSName exists (OpenSSL's default, RFC 5922 §7.1).
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_WILDCARDS);
    ok = SSL_set1_host(ssl, name.c_str()) == 1;
  }
  if (!ok) {
    ERR_clear_error();
    SSL_free(ssl);
    return nullptr;
  }
  return std::unique_ptr<TlsSession>(new TlsSession(ssl));
}

TlsSession::Status TlsSession::failure(int ret, std::string_view what) {
  int code = SSL_get_error(ssl_, ret);
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
    return Status::Ok;
  }
  if (code == SSL_ERROR_ZERO_RETURN) {
    ERR_clear_error();
    return Status::Closed;
  }
  error_ = takeOpensslError(what);
  return Status::Failed;
}

TlsSession::Status TlsSession::start() {
  if (SSL_is_server(ssl_) == 1) {
    return Status::Ok;
  }
  int ret = SSL_do_handshake(ssl_);
  return ret == 1 ? Status::Ok : failure(ret, "TLS handshake");
}

void TlsSession::pushCiphertext(const char* data, size_t size) {
  // A memory BIO grows as needed, so the write takes everything.
  while (size > 0) {
    int chunk = size > INT_MAX ? INT_MAX : static_cast<int>(size);
    int n = BIO_write(in_, data, chunk);
    if (n <= 0) {
      break;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

TlsSession::ReadResult TlsSession::readPlaintext(char* out, size_t cap) {
  size_t got = 0;
  int ret = SSL_read_ex(ssl_, out, cap, &got);
  if (ret == 1) {
    return {got, Status::Ok};
  }
  return {0, failure(ret, SSL_is_init_finished(ssl_) ? "TLS read" : "TLS handshake")};
}

TlsSession::Status TlsSession::writePlaintext(std::string_view data) {
  if (data.empty()) {
    return Status::Ok;
  }
  size_t written = 0;
  int ret = SSL_write_ex(ssl_, data.data(), data.size(), &written);
  if (ret == 1 && written == data.size()) {
    return Status::Ok;
  }
  Status s = failure(ret, "TLS write");
  if (s == Status::Ok) {  // wants more handshake: callers must wait for handshakeDone()
    error_ = "TLS write before the handshake completed";
    return Status::Failed;
  }
  return s;
}

size_t TlsSession::pendingCiphertext() const { return BIO_ctrl_pending(out_); }

size_t TlsSession::takeCiphertext(char* out, size_t cap) {
  int chunk = cap > INT_MAX ? INT_MAX : static_cast<int>(cap);
  int n = BIO_read(out_, out, chunk);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

bool TlsSession::handshakeDone() const { return SSL_is_init_finished(ssl_) == 1; }

std::string TlsSession::verifyFailure() const {
  if (SSL_get_verify_mode(ssl_) == SSL_VERIFY_NONE) {
    return {};
  }
  long result = SSL_get_verify_result(ssl_);
  return result == X509_V_OK ? std::string() : X509_verify_cert_error_string(result);
}

bool TlsSession::peerPresentedCertificate() const {
  return SSL_get0_peer_certificate(ssl_) != nullptr;
}

std::vector<std::string> TlsSession::verifiedPeerNames() const {
  X509* peer = SSL_get0_peer_certificate(ssl_);
  if (peer == nullptr || SSL_get_verify_mode(ssl_) == SSL_VERIFY_NONE ||
      SSL_get_verify_result(ssl_) != X509_V_OK) {
    return {};
  }
  return sipDomainIdentities(peer);
}

}  // namespace proxy::transport

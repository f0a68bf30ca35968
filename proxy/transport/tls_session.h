// SPDX-License-Identifier: Apache-2.0
// TlsSession is one connection's OpenSSL state over two memory BIOs: the
// owning StreamConnection pushes ciphertext read from the libuv stream in,
// pulls plaintext out, and ships whatever ciphertext OpenSSL produced (the
// handshake, records, alerts) back to the stream. No I/O happens here. Owned by
// one connection and used only on that connection's shard thread.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/transport/tls_context.h"

namespace proxy::transport {

class TlsSession {
 public:
  enum class Status { Ok, Closed, Failed };  // Closed: the peer sent close_notify

  // Server side of an accepted connection.
  static std::unique_ptr<TlsSession> accept(const TlsContext& context);
  // Client side. `server_name` goes in SNI when it is a host name, and is checked against
  // the certificate when the context verifies peers (RFC 5922 §7.2: SSL_set1_host with
  // X509_CHECK_FLAG_NO_WILDCARDS; OpenSSL checks the subject CN only when the
  // certificate has no dNSName, which is what §7.1 asks; the verifying client context
  // also accepts a subjectAltName URI sip:<name>, see tls_context.cpp).
  static std::unique_ptr<TlsSession> connect(const TlsContext& context,
                                             std::string_view server_name);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Client: produces the ClientHello. Server: nothing to do until the peer speaks.
  Status start();
  // Hands ciphertext read from the socket to OpenSSL (always consumes it all).
  void pushCiphertext(const char* data, size_t size);
  // Decrypts up to `cap` bytes into `out`; `bytes` == 0 with Ok means "need more input".
  // This also drives the handshake.
  struct ReadResult {
    size_t bytes = 0;
    Status status = Status::Ok;
  };
  ReadResult readPlaintext(char* out, size_t cap);
  // Encrypts all of `data` (memory BIOs never block). Only after handshakeDone().
  Status writePlaintext(std::string_view data);
  // Ciphertext waiting to go to the socket, and a way to take it.
  size_t pendingCiphertext() const;
  size_t takeCiphertext(char* out, size_t cap);

  bool handshakeDone() const;
  // Why the last Failed happened (OpenSSL's reason).
  const std::string& error() const { return error_; }

  // Certificate verification failed (client: chain or name; server: a presented client
  // certificate did not verify). Empty when it passed or nothing was checked.
  std::string verifyFailure() const;
  // After the handshake: whether the peer presented a certificate at all.
  bool peerPresentedCertificate() const;
  // After the handshake, on a context that verifies peers: the RFC 5922 §7.1 domain
  // identities of the peer's certificate if it verified, else empty.
  std::vector<std::string> verifiedPeerNames() const;

 private:
  explicit TlsSession(SSL* ssl);
  Status failure(int ret, std::string_view what);

  SSL* ssl_;
  BIO* in_;   // ciphertext from the peer (owned by ssl_)
  BIO* out_;  // ciphertext for the peer (owned by ssl_)
  std::string error_;
};

}  // namespace proxy::transport

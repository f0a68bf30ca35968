// SPDX-License-Identifier: Apache-2.0
// TlsContext wraps one OpenSSL SSL_CTX: one per TLS listener (server side, with
// the listener's certificate and key) and one for outgoing connections (client
// side). Contexts are built on the main thread in Transports::bind() and are
// then only read; OpenSSL allows SSL_new() on one context from many threads.
// Federation (RFC 5922) adds a verifying client context that can present our
// certificate (mutual TLS), and listeners that ask clients for a certificate.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "proxy/base/result.h"

namespace proxy::transport {

class TlsContext {
 public:
  // How outgoing connections check the server. With verify_peer the chain must lead to
  // a trust anchor, and TlsSession::connect() checks the server name (SSL_set1_host,
  // no wildcards: RFC 5922 §7.2). A client certificate, when set, is presented to
  // servers that ask for one (mutual TLS).
  struct ClientOptions {
    bool verify_peer = false;
    std::string ca_file;             // PEM bundle; empty = the system's default paths
    std::string client_certificate;  // PEM chain; empty = present none
    std::string client_private_key;  // PEM
  };
  // Inbound: ask TLS clients for a certificate without requiring one. A certificate
  // that does not verify against the trust anchors keeps the connection but gives
  // it no identity (see TlsSession::verifiedPeerNames()).
  struct ServerOptions {
    bool request_client_certificates = false;
    std::string ca_file;  // trust anchors for client certificates; empty = system default
  };

  // TLS 1.2+ server context with a PEM certificate chain and private key.
  static Result<std::unique_ptr<TlsContext>> server(const std::string& certificate_file,
                                                    const std::string& private_key_file,
                                                    const ServerOptions& options);
  static Result<std::unique_ptr<TlsContext>> server(const std::string& certificate_file,
                                                    const std::string& private_key_file) {
    return server(certificate_file, private_key_file, ServerOptions{});
  }
  // TLS 1.2+ client context.
  static Result<std::unique_ptr<TlsContext>> client(const ClientOptions& options);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
  // Client: the server's chain and name are checked. Server: clients are asked for a
  // certificate.
  bool verifiesPeer() const { return verify_peer_; }

 private:
  TlsContext(SSL_CTX* ctx, bool verify_peer) : ctx_(ctx), verify_peer_(verify_peer) {}

  SSL_CTX* ctx_;
  bool verify_peer_;
};

// Pops OpenSSL's thread-local error queue into "what: reason" and clears it, so a
// failure on one connection never shows up on the next one of the same shard.
std::string takeOpensslError(std::string_view what);

}  // namespace proxy::transport

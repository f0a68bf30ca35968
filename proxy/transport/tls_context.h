// SPDX-License-Identifier: Apache-2.0
// TlsContext wraps one OpenSSL SSL_CTX: one per TLS listener (server side, with
// the listener's certificate and key) and one for outgoing connections (client
// side). Contexts are built on the main thread in Transports::bind() and are
// then only read; OpenSSL allows SSL_new() on one context from many threads.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "proxy/base/result.h"

namespace proxy::transport {

class TlsContext {
 public:
  // How outgoing connections check the server. Today nothing is verified; federation
  // will set verify_peer (with a CA file) and pass the peer's domain as server name,
  // which TlsSession::connect() then checks (SSL_set1_host, RFC 5922 §7.2).
  struct ClientOptions {
    bool verify_peer = false;
    std::string ca_file;  // PEM bundle; empty = the system's default paths
  };

  // TLS 1.2+ server context with a PEM certificate chain and private key.
  static Result<std::unique_ptr<TlsContext>> server(const std::string& certificate_file,
                                                    const std::string& private_key_file);
  // TLS 1.2+ client context.
  static Result<std::unique_ptr<TlsContext>> client(const ClientOptions& options);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
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

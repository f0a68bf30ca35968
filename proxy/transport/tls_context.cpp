// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/tls_context.h"

#include <openssl/err.h>

namespace proxy::transport {
namespace {

SSL_CTX* newContext(const SSL_METHOD* method) {
  SSL_CTX* ctx = SSL_CTX_new(method);
  if (ctx == nullptr) {
    return nullptr;
  }
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    SSL_CTX_free(ctx);
    return nullptr;
  }
  // Idle SIP connections are the norm: release the 34 KiB read/write buffers between records.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  return ctx;
}

}  // namespace

std::string takeOpensslError(std::string_view what) {
  unsigned long code = ERR_get_error();
  char text[256] = "no OpenSSL error reported";
  if (code != 0) {
    ERR_error_string_n(code, text, sizeof(text));
  }
  ERR_clear_error();
  return std::string(what) + ": " + text;
}

Result<std::unique_ptr<TlsContext>> TlsContext::server(const std::string& certificate_file,
                                                       const std::string& private_key_file) {
  SSL_CTX* ctx = newContext(TLS_server_method());
  if (ctx == nullptr) {
    return makeError(0, takeOpensslError("cannot create a TLS server context"));
  }
  std::unique_ptr<TlsContext> out(new TlsContext(ctx, false));
  if (SSL_CTX_use_certificate_chain_file(ctx, certificate_file.c_str()) != 1) {
    return makeError(0, takeOpensslError("cannot load TLS certificate " + certificate_file));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, private_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return makeError(0, takeOpensslError("cannot load TLS private key " + private_key_file));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return makeError(
        0, takeOpensslError("TLS key " + private_key_file + " does not match " + certificate_file));
  }
  return out;
}

Result<std::unique_ptr<TlsContext>> TlsContext::client(const ClientOptions& options) {
  SSL_CTX* ctx = newContext(TLS_client_method());
  if (ctx == nullptr) {
    return makeError(0, takeOpensslError("cannot create a TLS client context"));
  }
  std::unique_ptr<TlsContext> out(new TlsContext(ctx, options.verify_peer));
  if (!options.verify_peer) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    return out;
  }
  int loaded = options.ca_file.empty()
                   ? SSL_CTX_set_default_verify_paths(ctx)
                   : SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr);
  if (loaded != 1) {
    return makeError(0, takeOpensslError("cannot load TLS trust anchors"));
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return out;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

}  // namespace proxy::transport

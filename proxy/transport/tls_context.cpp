// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <string>
#include <vector>

#include "proxy/base/strings.h"
#include "proxy/transport/tls_identity.h"

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

// Loads trust anchors: a PEM bundle, or the system's default paths when `ca_file` is empty.
bool loadTrustAnchors(SSL_CTX* ctx, const std::string& ca_file) {
  return (ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                          : SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr)) == 1;
}

std::string caFileName(const std::string& ca_file) {
  return ca_file.empty() ? std::string("(system default)") : ca_file;
}

// Presented client certificates never fail the handshake: an unverifiable one just
// gives the connection no identity. SSL_get_verify_result() keeps the last error.
int keepHandshake(int /*preverify_ok*/, X509_STORE_CTX* /*store*/) { return 1; }

// X509_check_host (behind SSL_set1_host) reads dNSNames and, without them, the CN. RFC
// 5922 §7.1 also counts subjectAltName URIs sip:domain: accept the name when one of
// those matches it exactly (never a wildcard).
int acceptSipUriIdentity(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok == 1 || X509_STORE_CTX_get_error(store) != X509_V_ERR_HOSTNAME_MISMATCH) {
    return preverify_ok;
  }
  X509* cert = X509_STORE_CTX_get_current_cert(store);
  const char* expected = X509_VERIFY_PARAM_get0_host(X509_STORE_CTX_get0_param(store), 0);
  if (cert == nullptr || expected == nullptr) {
    return 0;
  }
  std::vector<std::string> names = sipDomainIdentities(cert);
  if (std::find(names.begin(), names.end(), toLower(expected)) == names.end()) {
    return 0;
  }
  X509_STORE_CTX_set_error(store, X509_V_OK);
  return 1;
}

// Sessions of a context that verifies clients must carry a session id context, or
// OpenSSL fails resumed handshakes ("session id context uninitialized").
constexpr unsigned char kSessionIdContext[] = "confab-sip";

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
                                                       const std::string& private_key_file,
                                                       const ServerOptions& options) {
  SSL_CTX* ctx = newContext(TLS_server_method());
  if (ctx == nullptr) {
    return makeError(0, takeOpensslError("cannot create a TLS server context"));
  }
  std::unique_ptr<TlsContext> out(new TlsContext(ctx, options.request_client_certificates));
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
  if (!options.request_client_certificates) {
    return out;
  }
  if (!loadTrustAnchors(ctx, options.ca_file)) {
    return makeError(
        0, takeOpensslError("cannot load federation CA file " + caFileName(options.ca_file)));
  }
  if (!options.ca_file.empty()) {
    // Names the acceptable CAs in the CertificateRequest so clients pick the right cert.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(ctx, names);
    }
    ERR_clear_error();
  }
  // VERIFY_PEER on a server asks for a certificate; without FAIL_IF_NO_PEER_CERT,
  // ordinary SIP clients that have none still connect.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, keepHandshake);
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof(kSessionIdContext) - 1);
  return out;
}

Result<std::unique_ptr<TlsContext>> TlsContext::client(const ClientOptions& options) {
  SSL_CTX* ctx = newContext(TLS_client_method());
  if (ctx == nullptr) {
    return makeError(0, takeOpensslError("cannot create a TLS client context"));
  }
  std::unique_ptr<TlsContext> out(new TlsContext(ctx, options.verify_peer));
  const std::string& cert = options.client_certificate;
  const std::string& key = options.client_private_key;
  if (!cert.empty() || !key.empty()) {
    if (cert.empty() || key.empty()) {
      return makeError(0, "federation client certificate and private key must both be set");
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
      return makeError(0, takeOpensslError("cannot load federation client certificate " + cert));
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return makeError(0, takeOpensslError("cannot load federation client key " + key));
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return makeError(
          0, takeOpensslError("federation client key " + key + " does not match " + cert));
    }
  }
  if (!options.verify_peer) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    return out;
  }
  if (!loadTrustAnchors(ctx, options.ca_file)) {
    return makeError(
        0, takeOpensslError("cannot load federation CA file " + caFileName(options.ca_file)));
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, acceptSipUriIdentity);
  return out;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

}  // namespace proxy::transport

// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/tls_certificate.h"

#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "proxy/transport/tls_context.h"
#include "proxy/transport/transport_test_util.h"

using namespace proxy::transport;
using proxy::transport::test::TempDir;

namespace {

X509* readCert(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    return nullptr;
  }
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  return cert;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("ensureSelfSignedCertificate creates a usable key and certificate") {
  TempDir dir;
  REQUIRE(!dir.path().empty());
  std::string cert_path = dir.path() + "/tls/sub/confab.crt";
  std::string key_path = dir.path() + "/tls/keys/confab.key";
  auto error = ensureSelfSignedCertificate(cert_path, key_path, "sip.example.test");
  REQUIRE_MESSAGE(!error, error.value_or(""));

  struct stat st {};
  REQUIRE(::stat(key_path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  X509* cert = readCert(cert_path);
  REQUIRE(cert != nullptr);
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
  CHECK(std::string(cn) == "sip.example.test");
  CHECK(X509_check_host(cert, "sip.example.test", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(cert, "other.example.test", 0, 0, nullptr) == 0);
  CHECK(X509_check_ip_asc(cert, "127.0.0.1", 0) == 1);
  CHECK(X509_check_purpose(cert, X509_PURPOSE_SSL_SERVER, 0) == 1);
  CHECK(X509_check_purpose(cert, X509_PURPOSE_SSL_CLIENT, 0) == 1);
  // About ten years from now.
  int days = 0, secs = 0;
  REQUIRE(ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(cert)) == 1);
  CHECK(days >= 3650);
  CHECK(days <= 3654);

  // It verifies against itself as the only trust anchor.
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, cert);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  CHECK(X509_verify_cert(ctx) == 1);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(cert);

  // The pair loads as a server context (key matches certificate).
  auto tls = TlsContext::server(cert_path, key_path);
  CHECK_MESSAGE(tls.ok(), (tls.ok() ? "" : tls.error().detail));
}

TEST_CASE("ensureSelfSignedCertificate keeps an existing pair and repairs a missing half") {
  TempDir dir;
  std::string cert_path = dir.path() + "/c.pem";
  std::string key_path = dir.path() + "/k.pem";
  REQUIRE(!ensureSelfSignedCertificate(cert_path, key_path, "a.example.test"));
  std::string cert1 = slurp(cert_path);
  REQUIRE(!ensureSelfSignedCertificate(cert_path, key_path, "a.example.test"));
  CHECK(slurp(cert_path) == cert1);  // left alone

  std::remove(key_path.c_str());
  REQUIRE(!ensureSelfSignedCertificate(cert_path, key_path, "a.example.test"));
  CHECK(slurp(cert_path) != cert1);  // regenerated together with the key
  CHECK(TlsContext::server(cert_path, key_path).ok());
}

TEST_CASE("ensureSelfSignedCertificate reports errors instead of crashing") {
  TempDir dir;
  std::string blocker = dir.path() + "/file";
  std::ofstream(blocker) << "x";
  auto error = ensureSelfSignedCertificate(blocker + "/c.pem", blocker + "/k.pem", "x.test");
  REQUIRE(error);
  CHECK(error->find("cannot create") != std::string::npos);
  CHECK(ensureSelfSignedCertificate("", "k", "x"));
  CHECK(ensureSelfSignedCertificate("c", "k", ""));
}

TEST_CASE("TlsContext::server reports unreadable or mismatched files") {
  TempDir dir;
  auto missing = TlsContext::server(dir.path() + "/none.crt", dir.path() + "/none.key");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().detail.find("cannot load TLS certificate") != std::string::npos);
  REQUIRE(!ensureSelfSignedCertificate(dir.path() + "/a.crt", dir.path() + "/a.key", "a.test"));
  REQUIRE(!ensureSelfSignedCertificate(dir.path() + "/b.crt", dir.path() + "/b.key", "b.test"));
  auto mismatched = TlsContext::server(dir.path() + "/a.crt", dir.path() + "/b.key");
  CHECK_FALSE(mismatched.ok());
}

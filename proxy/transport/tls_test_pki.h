// SPDX-License-Identifier: Apache-2.0
// A throwaway PKI for TLS tests, built with the OpenSSL API: CAs and leaf
// certificates with chosen CN, subjectAltName dNSNames and URIs, written as PEM
// files into a directory the test owns. Test code only.
#pragma once

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace proxy::transport::test {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using TestKey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using TestCert = std::unique_ptr<X509, X509Free>;

// What goes into a certificate. Empty `cn` leaves the subject without a CN.
struct CertSpec {
  std::string cn;
  std::vector<std::string> dns;   // subjectAltName dNSName entries
  std::vector<std::string> uris;  // subjectAltName URI entries ("sip:a.test")
};

struct TestIssuer {
  TestKey key;
  TestCert cert;
  std::string cert_file;  // PEM of the CA certificate (the trust anchor file)
};

struct TestLeaf {
  TestCert cert;
  std::string cert_file;
  std::string key_file;
};

namespace pki_detail {

inline bool addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) {
    return false;
  }
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

inline bool setName(X509_NAME* name, const std::string& cn) {
  const auto* o = reinterpret_cast<const unsigned char*>("Confab Test");
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, o, -1, -1, 0) != 1) {
    return false;
  }
  const auto* text = reinterpret_cast<const unsigned char*>(cn.c_str());
  return cn.empty() || X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, text, -1, -1, 0) == 1;
}

// A certificate for `key`, signed by issuer_key (self-signed when issuer is null).
inline TestCert build(EVP_PKEY* key, const CertSpec& spec, X509* issuer, EVP_PKEY* issuer_key,
                      bool ca) {
  TestCert cert(X509_new());
  BIGNUM* serial = BN_new();
  bool ok = cert && serial && X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
            BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
            BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get())) != nullptr &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400) != nullptr &&
            X509_set_pubkey(cert.get(), key) == 1 &&
            setName(X509_get_subject_name(cert.get()), spec.cn);
  BN_free(serial);
  if (!ok) {
    return nullptr;
  }
  X509* signer = issuer != nullptr ? issuer : cert.get();
  ok = X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1 &&
       addExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (ca) {
    ok = ok && addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE") &&
         addExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    ok = ok && addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE") &&
         addExtension(cert.get(), signer, NID_authority_key_identifier, "keyid") &&
         addExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth");
    std::string san;
    for (const auto& d : spec.dns) {
      san += (san.empty() ? "DNS:" : ",DNS:") + d;
    }
    for (const auto& u : spec.uris) {
      san += (san.empty() ? "URI:" : ",URI:") + u;
    }
    ok = ok && (san.empty() || addExtension(cert.get(), signer, NID_subject_alt_name, san));
  }
  if (!ok || X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) {
    return nullptr;
  }
  return cert;
}

template <typename Write>
bool writeFile(const std::string& path, Write write) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    return false;
  }
  bool ok = write(f) == 1;
  return std::fclose(f) == 0 && ok;
}

}  // namespace pki_detail

// A self-signed CA whose certificate is written to <dir>/<name>.crt. Null members on failure.
inline TestIssuer makeTestCa(const std::string& dir, const std::string& name) {
  TestIssuer ca;
  ca.key.reset(EVP_EC_gen("P-256"));
  if (!ca.key) {
    return ca;
  }
  ca.cert = pki_detail::build(ca.key.get(), CertSpec{name, {}, {}}, nullptr, nullptr, true);
  ca.cert_file = dir + "/" + name + ".crt";
  if (ca.cert && !pki_detail::writeFile(
                     ca.cert_file, [&](FILE* f) { return PEM_write_X509(f, ca.cert.get()); })) {
    ca.cert.reset();
  }
  return ca;
}

// A leaf signed by `ca`, written to <dir>/<stem>.crt and <dir>/<stem>.key.
inline TestLeaf makeTestLeaf(const TestIssuer& ca, const std::string& dir, const std::string& stem,
                             const CertSpec& spec) {
  TestLeaf leaf;
  TestKey key(EVP_EC_gen("P-256"));
  if (!key || !ca.cert) {
    return leaf;
  }
  leaf.cert = pki_detail::build(key.get(), spec, ca.cert.get(), ca.key.get(), false);
  leaf.cert_file = dir + "/" + stem + ".crt";
  leaf.key_file = dir + "/" + stem + ".key";
  bool ok = leaf.cert &&
            pki_detail::writeFile(leaf.cert_file,
                                  [&](FILE* f) { return PEM_write_X509(f, leaf.cert.get()); }) &&
            pki_detail::writeFile(leaf.key_file, [&](FILE* f) {
              return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
            });
  if (!ok) {
    leaf.cert.reset();
  }
  return leaf;
}

}  // namespace proxy::transport::test

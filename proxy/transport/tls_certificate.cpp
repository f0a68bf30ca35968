// SPDX-License-Identifier: Apache-2.0
#include "proxy/transport/tls_certificate.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>

#include "proxy/transport/tls_context.h"

namespace proxy::transport {
namespace {

constexpr long kValiditySeconds = 3653L * 24 * 3600;  // ten years, leap days included

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Adds one SAN entry: an IP address when `value` parses as one, else a DNS name.
bool addAltName(GENERAL_NAMES* names, const std::string& value) {
  GENERAL_NAME* name = GENERAL_NAME_new();
  if (name == nullptr) {
    return false;
  }
  if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(value.c_str())) {
    GENERAL_NAME_set0_value(name, GEN_IPADD, ip);
  } else {
    ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
    if (dns == nullptr || ASN1_STRING_set(dns, value.data(), static_cast<int>(value.size())) != 1) {
      ASN1_IA5STRING_free(dns);
      GENERAL_NAME_free(name);
      return false;
    }
    GENERAL_NAME_set0_value(name, GEN_DNS, dns);
  }
  if (sk_GENERAL_NAME_push(names, name) == 0) {
    GENERAL_NAME_free(name);
    return false;
  }
  return true;
}

bool addExtensions(X509* cert, const std::string& common_name) {
  NamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names || !addAltName(names.get(), common_name)) {
    return false;
  }
  if (common_name != "127.0.0.1" && !addAltName(names.get(), "127.0.0.1")) {
    return false;
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return false;
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  // RFC 5922 §7.3 peers (and MS federation edges) expect both server and client auth.
  const std::pair<int, const char*> kExtensions[] = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
      {NID_ext_key_usage, "serverAuth,clientAuth"},
      {NID_subject_key_identifier, "hash"},
  };
  for (const auto& [nid, value] : kExtensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr) {
      return false;
    }
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    if (ok != 1) {
      return false;
    }
  }
  return true;
}

X509Ptr makeCertificate(EVP_PKEY* key, const std::string& common_name) {
  X509Ptr cert(X509_new());
  BignumPtr serial(BN_new());
  if (!cert || !serial || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return nullptr;
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  const auto* cn = reinterpret_cast<const unsigned char*>(common_name.c_str());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, cn, -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1 || !addExtensions(cert.get(), common_name) ||
      X509_sign(cert.get(), key, EVP_sha256()) == 0) {
    return nullptr;
  }
  return cert;
}

// Writes through a temporary file and renames, so a crash never leaves half a PEM.
template <typename Write>
std::optional<std::string> writePem(const std::string& path, mode_t mode, Write write) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0 || ::fchmod(fd, mode) != 0) {
    int err = errno;
    if (fd >= 0) {
      ::close(fd);
    }
    return "cannot write " + tmp + ": " + std::error_code(err, std::generic_category()).message();
  }
  FILE* file = ::fdopen(fd, "w");
  if (file == nullptr) {
    ::close(fd);
    return "cannot write " + tmp;
  }
  bool ok = write(file) == 1;
  ok = (std::fclose(file) == 0) && ok;
  if (!ok) {
    ::unlink(tmp.c_str());
    return takeOpensslError("cannot write " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return "cannot rename " + tmp + ": " + std::error_code(err, std::generic_category()).message();
  }
  return std::nullopt;
}

std::optional<std::string> makeParent(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) {
    return std::nullopt;
  }
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    return "cannot create " + parent.string() + ": " + ec.message();
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ensureSelfSignedCertificate(const std::string& cert_path,
                                                       const std::string& key_path,
                                                       const std::string& common_name) {
  if (cert_path.empty() || key_path.empty() || common_name.empty()) {
    return "certificate file, key file and common name must be set";
  }
  if (exists(cert_path) && exists(key_path)) {
    return std::nullopt;
  }
  for (const std::string* path : {&cert_path, &key_path}) {
    if (auto error = makeParent(*path)) {
      return error;
    }
  }
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) {
    return takeOpensslError("cannot generate a P-256 key");
  }
  X509Ptr cert = makeCertificate(key.get(), common_name);
  if (!cert) {
    return takeOpensslError("cannot build a certificate for " + common_name);
  }
  if (auto error = writePem(key_path, 0600, [&](FILE* f) {
        return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
      })) {
    return error;
  }
  return writePem(cert_path, 0644, [&](FILE* f) { return PEM_write_X509(f, cert.get()); });
}

}  // namespace proxy::transport

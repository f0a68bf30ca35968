// SPDX-License-Identifier: Apache-2.0
#include "proxy/config/ha1.h"

#include <openssl/evp.h>

#include <memory>

#include "proxy/base/assert.h"
#include "proxy/base/strings.h"

namespace proxy::config {

std::string_view algorithmName(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::Sha256 ? "SHA-256" : "MD5";
}

std::optional<DigestAlgorithm> parseAlgorithm(std::string_view name) {
  for (DigestAlgorithm a : {DigestAlgorithm::Sha256, DigestAlgorithm::Md5}) {
    if (iequals(name, algorithmName(a))) {
      return a;
    }
  }
  return std::nullopt;
}

std::string computeHa1(DigestAlgorithm algorithm, std::string_view user, std::string_view realm,
                       std::string_view password) {
  const EVP_MD* md = algorithm == DigestAlgorithm::Sha256 ? EVP_sha256() : EVP_md5();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  RELEASE_ASSERT(ctx != nullptr);  // ENOMEM is fatal
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // Fed piecewise so the password never lands in a concatenated buffer.
  const bool ok = EVP_DigestInit_ex(ctx.get(), md, nullptr) == 1 &&
                  EVP_DigestUpdate(ctx.get(), user.data(), user.size()) == 1 &&
                  EVP_DigestUpdate(ctx.get(), ":", 1) == 1 &&
                  EVP_DigestUpdate(ctx.get(), realm.data(), realm.size()) == 1 &&
                  EVP_DigestUpdate(ctx.get(), ":", 1) == 1 &&
                  EVP_DigestUpdate(ctx.get(), password.data(), password.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx.get(), digest, &length) == 1;
  RELEASE_ASSERT(ok);  // MD5 and SHA-256 are always available in the default provider

  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size_t{length} * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0x0f]);
  }
  return hex;
}

}  // namespace proxy::config

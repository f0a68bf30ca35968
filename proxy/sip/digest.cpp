// SPDX-License-Identifier: Apache-2.0
// Digest credentials parsing (RFC 3261 §25.1 "credentials", RFC 7616 §3.4) and
// the RFC 2617 / RFC 7616 hash arithmetic through OpenSSL EVP.
#include "proxy/sip/digest.h"

#include <openssl/evp.h>

#include <memory>

#include "proxy/base/assert.h"
#include "proxy/base/strings.h"
#include "proxy/sip/grammar.h"

namespace proxy::sip {
namespace {

using detail::skipWs;

// Stores a known auth-param; unknown ones are ignored (RFC 7616 §3.4).
void assignParam(DigestCredentials& c, std::string_view name, std::string_view value) {
  struct Slot {
    std::string_view name;
    std::string_view DigestCredentials::*field;
  };
  static constexpr Slot kSlots[] = {
      {"username", &DigestCredentials::username}, {"realm", &DigestCredentials::realm},
      {"nonce", &DigestCredentials::nonce},       {"uri", &DigestCredentials::uri},
      {"response", &DigestCredentials::response}, {"algorithm", &DigestCredentials::algorithm},
      {"cnonce", &DigestCredentials::cnonce},     {"opaque", &DigestCredentials::opaque},
      {"qop", &DigestCredentials::qop},           {"nc", &DigestCredentials::nc},
  };
  for (const Slot& slot : kSlots) {
    if (iequals(slot.name, name)) {
      c.*slot.field = value;
      return;
    }
  }
}

// auth-param = token EQUAL ( token / quoted-string ), separated by COMMA.
Result<void> parseAuthParams(std::string_view s, size_t i, DigestCredentials& c) {
  for (;;) {
    i = skipWs(s, i);
    if (i >= s.size()) {
      return {};
    }
    const size_t name_end = detail::scanToken(s, i);
    const size_t eq = skipWs(s, name_end);
    if (name_end == i || eq >= s.size() || s[eq] != '=') {
      return makeError(400, "Malformed credentials parameter");
    }
    const std::string_view name = s.substr(i, name_end - i);
    i = skipWs(s, eq + 1);
    std::string_view value;
    if (i < s.size() && s[i] == '"') {
      const size_t close = detail::findQuoteEnd(s, i);
      if (close == std::string_view::npos) {
        return makeError(400, "Unterminated quoted string in credentials");
      }
      value = s.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      size_t end = i;
      while (end < s.size() && s[end] != ',' && !detail::isWs(s[end])) {
        ++end;
      }
      value = s.substr(i, end - i);
      i = end;
    }
    assignParam(c, name, value);
    i = skipWs(s, i);
    if (i < s.size() && s[i] != ',') {
      return makeError(400, "Expected ',' between credentials parameters");
    }
    ++i;
  }
}

const EVP_MD* evpFor(DigestAlgorithm alg) {
  return alg == DigestAlgorithm::Sha256 ? EVP_sha256() : EVP_md5();
}

}  // namespace

Result<DigestCredentials> parseCredentials(std::string_view header_value) {
  const std::string_view s = trim(header_value);
  DigestCredentials creds;
  const size_t scheme_end = detail::scanToken(s, 0);
  if (scheme_end == 0) {
    return makeError(400, "Malformed credentials");
  }
  creds.scheme = s.substr(0, scheme_end);
  if (scheme_end < s.size() && !detail::isWs(s[scheme_end])) {
    return makeError(400, "Malformed credentials scheme");
  }
  auto params = parseAuthParams(s, scheme_end, creds);
  if (!params) {
    if (iequals(creds.scheme, "Digest")) {
      return params.error();
    }
    // Other schemes (token68, RFC 4475 regaut01) are passed through untouched.
    DigestCredentials bare;
    bare.scheme = creds.scheme;
    return bare;
  }
  return creds;
}

std::string digestHexOfParts(DigestAlgorithm alg, std::initializer_list<std::string_view> parts) {
  // Hashed piecewise: no concatenated copy (no allocation, and a password never
  // lands in a second buffer).
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  RELEASE_ASSERT(ctx != nullptr);  // ENOMEM is fatal
  bool ok = EVP_DigestInit_ex(ctx.get(), evpFor(alg), nullptr) == 1;
  for (std::string_view part : parts) {
    ok = ok && EVP_DigestUpdate(ctx.get(), part.data(), part.size()) == 1;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  ok = ok && EVP_DigestFinal_ex(ctx.get(), md, &md_len) == 1;
  RELEASE_ASSERT(ok);  // MD5 and SHA-256 are always in the default provider
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(md_len * 2, '\0');
  for (unsigned int i = 0; i < md_len; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 0x0f];
  }
  return out;
}

std::string digestHex(DigestAlgorithm alg, std::string_view data) {
  return digestHexOfParts(alg, {data});
}

std::string computeHa1(DigestAlgorithm alg, std::string_view user, std::string_view realm,
                       std::string_view password) {
  return digestHexOfParts(alg, {user, ":", realm, ":", password});
}

// RFC 2617 §3.2.2.1: with qop, KD(HA1, nonce:nc:cnonce:qop:HA2); without qop
// (RFC 2069 compatibility), KD(HA1, nonce:HA2). HA2 = H(method:uri) (qop=auth).
std::string computeResponse(DigestAlgorithm alg, std::string_view ha1, std::string_view method,
                            std::string_view uri, std::string_view nonce, std::string_view nc,
                            std::string_view cnonce, std::string_view qop) {
  const std::string ha2 = digestHexOfParts(alg, {method, ":", uri});
  if (qop.empty()) {
    return digestHexOfParts(alg, {ha1, ":", nonce, ":", ha2});
  }
  return digestHexOfParts(alg, {ha1, ":", nonce, ":", nc, ":", cnonce, ":", qop, ":", ha2});
}

std::optional<DigestAlgorithm> parseAlgorithm(std::string_view name) {
  if (name.empty() || iequals(name, "MD5")) {
    return DigestAlgorithm::Md5;
  }
  if (iequals(name, "SHA-256")) {
    return DigestAlgorithm::Sha256;
  }
  return std::nullopt;
}

std::string_view algorithmName(DigestAlgorithm alg) {
  return alg == DigestAlgorithm::Sha256 ? "SHA-256" : "MD5";
}

}  // namespace proxy::sip

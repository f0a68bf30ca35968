// SPDX-License-Identifier: Apache-2.0
// Digest credentials parsing (RFC 3261 §25.1 "credentials", RFC 7616 §3.4) and
// the RFC 2617 / RFC 7616 hash arithmetic through OpenSSL EVP.
#include "proxy/sip/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "proxy/base/assert.h"
#include "proxy/base/hex.h"
#include "proxy/base/strings.h"
#include "proxy/sip/grammar.h"

namespace proxy::sip {
namespace {

using detail::skipWs;

// Whether `name` is `letters` (lowercase ASCII letters, same length) in any
// case: for a letter, OR-ing 0x20 lowercases an uppercase one and leaves a
// lowercase one, and no other octet lands on a lowercase letter that way.
bool isNameIgnoringCase(std::string_view name, std::string_view letters) {
  unsigned diff = 0;
  for (size_t i = 0; i < letters.size(); ++i) {
    diff |= static_cast<unsigned char>(name[i] | 0x20) ^ static_cast<unsigned char>(letters[i]);
  }
  return diff == 0;
}

// Stores a known auth-param; unknown ones are ignored (RFC 7616 §3.4). The
// name's length picks the one or two candidates to compare.
void assignParam(DigestCredentials& c, std::string_view name, std::string_view value) {
  using Field = std::string_view DigestCredentials::*;
  auto pick = [&](std::string_view a, Field fa, std::string_view b = {}, Field fb = nullptr) {
    if (isNameIgnoringCase(name, a)) {
      c.*fa = value;
    } else if (fb != nullptr && isNameIgnoringCase(name, b)) {
      c.*fb = value;
    }
  };
  switch (name.size()) {
    case 2:
      pick("nc", &DigestCredentials::nc);
      break;
    case 3:
      pick("uri", &DigestCredentials::uri, "qop", &DigestCredentials::qop);
      break;
    case 5:
      pick("nonce", &DigestCredentials::nonce, "realm", &DigestCredentials::realm);
      break;
    case 6:
      pick("cnonce", &DigestCredentials::cnonce, "opaque", &DigestCredentials::opaque);
      break;
    case 8:
      pick("username", &DigestCredentials::username, "response", &DigestCredentials::response);
      break;
    case 9:
      pick("algorithm", &DigestCredentials::algorithm);
      break;
    default:
      break;
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

// Fetched once per process: with OpenSSL 3, EVP_md5()/EVP_sha256() return
// legacy objects that every EVP_DigestInit_ex resolves through the provider
// store again (a name lookup under a lock, the larger part of a digest check).
const EVP_MD* evpFor(DigestAlgorithm alg) {
  static EVP_MD* const md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  EVP_MD* md = alg == DigestAlgorithm::Sha256 ? sha256 : md5;
  RELEASE_ASSERT(md != nullptr);  // MD5 and SHA-256 are always in the default provider
  return md;
}

// One context per thread, reset by each EVP_DigestInit_ex instead of being
// allocated and freed per hash.
EVP_MD_CTX* threadContext() {
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                                 EVP_MD_CTX_free);
  RELEASE_ASSERT(ctx != nullptr);  // ENOMEM is fatal
  return ctx.get();
}

constexpr size_t kMaxHex = kMaxDigestHexLength;
static_assert(kMaxHex == 2 * EVP_MAX_MD_SIZE);

// Writes the lowercase hex digest of the concatenated `parts` to `hex` and
// returns its length. Hashed piecewise by default: no concatenated copy, so a
// password never lands in a second buffer. With `gather`, parts that fit are
// copied into one buffer and hashed in one update (each EVP_DigestUpdate costs
// more than copying a short part); for the response, never for HA1's password.
size_t digestInto(DigestAlgorithm alg, std::initializer_list<std::string_view> parts,
                  char (&hex)[kMaxHex], bool gather = false) {
  EVP_MD_CTX* ctx = threadContext();
  bool ok = EVP_DigestInit_ex(ctx, evpFor(alg), nullptr) == 1;
  char buffer[512];
  size_t total = 0;
  for (std::string_view part : parts) {
    total += part.size();
  }
  if (gather && total <= sizeof(buffer)) {
    char* p = buffer;
    for (std::string_view part : parts) {
      p = std::copy(part.begin(), part.end(), p);
    }
    ok = ok && EVP_DigestUpdate(ctx, buffer, total) == 1;
    OPENSSL_cleanse(buffer, total);  // it held HA1, which stands in for the password
  } else {
    for (std::string_view part : parts) {
      ok = ok && EVP_DigestUpdate(ctx, part.data(), part.size()) == 1;
    }
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  ok = ok && EVP_DigestFinal_ex(ctx, md, &md_len) == 1;
  RELEASE_ASSERT(ok);
  hex::put(hex, md, md_len);
  return 2 * size_t{md_len};
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
  char hex[kMaxHex];
  return std::string(hex, digestInto(alg, parts, hex));
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
  char ha2_hex[kMaxHex];
  const std::string_view ha2(ha2_hex, digestInto(alg, {method, ":", uri}, ha2_hex, true));
  return computeResponseFromHa2(alg, ha1, ha2, nonce, nc, cnonce, qop);
}

std::string computeHa2(DigestAlgorithm alg, std::string_view method, std::string_view uri) {
  char hex[kMaxHex];
  return std::string(hex, digestInto(alg, {method, ":", uri}, hex, true));
}

std::string computeResponseFromHa2(DigestAlgorithm alg, std::string_view ha1, std::string_view ha2,
                                   std::string_view nonce, std::string_view nc,
                                   std::string_view cnonce, std::string_view qop) {
  char hex[kMaxHex];
  return std::string(hex, computeResponseFromHa2Into(alg, ha1, ha2, nonce, nc, cnonce, qop, hex));
}

size_t computeResponseFromHa2Into(DigestAlgorithm alg, std::string_view ha1, std::string_view ha2,
                                  std::string_view nonce, std::string_view nc,
                                  std::string_view cnonce, std::string_view qop,
                                  char (&out)[kMaxDigestHexLength]) {
  return qop.empty() ? digestInto(alg, {ha1, ":", nonce, ":", ha2}, out, true)
                     : digestInto(alg, {ha1, ":", nonce, ":", nc, ":", cnonce, ":", qop, ":", ha2},
                                  out, true);
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

std::optional<uint32_t> parseNonceCount(std::string_view nc) {
  if (nc.empty() || nc.size() > 8) {
    return std::nullopt;
  }
  uint32_t v = 0;
  for (char c : nc) {
    const char l = asciiLower(c);
    const int d = (l >= '0' && l <= '9') ? l - '0' : (l >= 'a' && l <= 'f') ? l - 'a' + 10 : -1;
    if (d < 0) {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<uint32_t>(d);
  }
  return v;
}

std::string digestChallenge(std::string_view realm, std::string_view nonce, std::string_view opaque,
                            DigestAlgorithm alg, bool stale) {
  const std::string_view name = algorithmName(alg);
  std::string h;
  h.reserve(96 + realm.size() + nonce.size() + opaque.size() + name.size());
  h.append("Digest realm=\"").append(realm);
  h.append("\", nonce=\"").append(nonce);
  h.append("\", opaque=\"").append(opaque);
  h.append("\", algorithm=").append(name).append(", qop=\"auth\"");
  if (stale) {
    h += ", stale=true";
  }
  return h;
}

}  // namespace proxy::sip

// SPDX-License-Identifier: Apache-2.0
// HTTP Digest pieces for SIP (RFC 3261 §22.4, RFC 7616, RFC 8760): parsing of
// Authorization / Proxy-Authorization credentials and the hash arithmetic.
// Policy (nonces, replay, which user) lives in the registrar's authenticator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/base/result.h"

namespace proxy::sip {

enum class DigestAlgorithm { Md5, Sha256 };

struct DigestCredentials {  // views into the header value
  std::string_view scheme;  // "Digest" (others are returned too, for 3.3.7 handling)
  std::string_view username, realm, nonce, uri, response, algorithm, cnonce, opaque, qop, nc;
};

// Parses `Digest username="..", realm="..", ...`. Unknown params are ignored.
Result<DigestCredentials> parseCredentials(std::string_view header_value);

// Hex digest of `data` with the algorithm (lowercase hex).
std::string digestHex(DigestAlgorithm alg, std::string_view data);
// Hex digest of the concatenation of `parts`, hashed piecewise without copying them.
std::string digestHexOfParts(DigestAlgorithm alg, std::initializer_list<std::string_view> parts);

// HA1 = H(username:realm:password).
std::string computeHa1(DigestAlgorithm alg, std::string_view user, std::string_view realm,
                       std::string_view password);

// The expected `response` for qop=auth (or no qop when qop is empty).
std::string computeResponse(DigestAlgorithm alg, std::string_view ha1, std::string_view method,
                            std::string_view uri, std::string_view nonce, std::string_view nc,
                            std::string_view cnonce, std::string_view qop);

// The two halves of computeResponse(), for callers that reuse HA2 (a client
// sends every request to the same uri): HA2 = H(method:uri) (qop=auth), and the
// response from HA1 and that HA2.
std::string computeHa2(DigestAlgorithm alg, std::string_view method, std::string_view uri);
std::string computeResponseFromHa2(DigestAlgorithm alg, std::string_view ha1, std::string_view ha2,
                                   std::string_view nonce, std::string_view nc,
                                   std::string_view cnonce, std::string_view qop);

// The longest hex digest (SHA-512 size, EVP_MAX_MD_SIZE octets).
inline constexpr size_t kMaxDigestHexLength = 128;
// computeResponseFromHa2() written to `out`, without a string; returns its length.
size_t computeResponseFromHa2Into(DigestAlgorithm alg, std::string_view ha1, std::string_view ha2,
                                  std::string_view nonce, std::string_view nc,
                                  std::string_view cnonce, std::string_view qop,
                                  char (&out)[kMaxDigestHexLength]);

// nc-value = 8LHEX (RFC 7616 §3.4); shorter values are accepted leniently.
std::optional<uint32_t> parseNonceCount(std::string_view nc);

// One `Digest realm="..", nonce="..", opaque="..", algorithm=.., qop="auth"[, stale=true]`
// challenge (WWW-Authenticate / Proxy-Authenticate value).
std::string digestChallenge(std::string_view realm, std::string_view nonce, std::string_view opaque,
                            DigestAlgorithm alg, bool stale);

// "MD5" / "SHA-256" (case-insensitive; empty means MD5 per RFC 3261).
std::optional<DigestAlgorithm> parseAlgorithm(std::string_view name);
std::string_view algorithmName(DigestAlgorithm alg);

}  // namespace proxy::sip

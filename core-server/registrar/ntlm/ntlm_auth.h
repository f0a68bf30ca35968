// SPDX-License-Identifier: Apache-2.0
// Server-side checking of an AUTHENTICATE message's response ([MS-NLMP] 3.3)
// and the session keys that follow from it ([MS-NLMP] 3.4.5).
//
// Accepted: NTLMv2 (3.3.2; what pidgin-sipe and current Microsoft clients
// send) and, only when the policy allows it, NTLMv1 with extended session
// security (3.3.1 with NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY). Rejected:
// anonymous logons, LM-only responses and plain NTLMv1.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core-server/registrar/ntlm/ntlm_crypto.h"
#include "core-server/registrar/ntlm/ntlm_message.h"
#include "proxy/base/result.h"

namespace core::registrar::ntlm {

using ServerChallenge = std::array<uint8_t, 8>;

// NTOWFv2 = HMAC_MD5(NT hash, UTF-16LE(Uppercase(User) + UserDom)) ([MS-NLMP] 3.3.2).
// Uppercasing covers ASCII and Latin-1, as Windows does for those letters.
std::optional<Key16> ntowfV2(const NtHash& nt_hash, std::string_view user_utf8,
                             std::string_view domain_utf8);
// DESL(K, D) ([MS-NLMP] 6): three DES blocks keyed by K[0..6], K[7..13], K[14..15]+Z(5).
std::optional<std::array<uint8_t, 24>> desl(const Key16& key, std::span<const uint8_t, 8> data);

enum class ResponseKind { NtlmV2, NtlmV1ExtendedSessionSecurity };

struct VerifyPolicy {
  bool allow_ntlmv1_ess = false;  // NTLMv1 is crackable offline; off unless a site needs it
};

struct VerifiedResponse {
  ResponseKind kind = ResponseKind::NtlmV2;
  Key16 session_base_key{};
  Key16 key_exchange_key{};
  bool mic_present = false;  // the NTLMv2 blob's MsvAvFlags announces a MIC
};

// Checks the response in `message` against the user's NT hash and our server
// challenge. Errors: 400 for malformed responses, 403 for wrong credentials or
// a refused kind of response.
proxy::Result<VerifiedResponse> verifyResponse(const AuthenticateMessage& message,
                                               const NtHash& nt_hash,
                                               const ServerChallenge& server_challenge,
                                               const VerifyPolicy& policy);

// Everything the two sides share after a logon.
struct SessionKeys {
  uint32_t flags = 0;  // the negotiated flags (from AUTHENTICATE)
  Key16 exported_session_key{};
  Key16 client_signing_key{};
  Key16 server_signing_key{};
  Key16 client_sealing_key{};
  Key16 server_sealing_key{};
};

// ExportedSessionKey ([MS-NLMP] 3.2.5.1.2: RC4K(KeyExchangeKey, EncryptedRandomSessionKey)
// with KEY_EXCH, else the KeyExchangeKey), then SIGNKEY/SEALKEY for both directions (3.4.5.2/3).
// Requires extended session security (signing keys only exist with it).
proxy::Result<SessionKeys> deriveSessionKeys(uint32_t flags, const Key16& key_exchange_key,
                                             ByteView encrypted_session_key);

std::optional<Key16> signKey(const Key16& exported_session_key, bool client_to_server);
std::optional<Key16> sealKey(uint32_t flags, const Key16& exported_session_key,
                             bool client_to_server);

// The MIC over CHALLENGE and AUTHENTICATE (MIC field zeroed), connectionless form
// ([MS-NLMP] 3.2.5.1.2): HMAC_MD5(ExportedSessionKey, CHALLENGE || AUTHENTICATE_MIC0).
std::optional<Key16> computeMic(const Key16& exported_session_key, ByteView challenge_message,
                                ByteView authenticate_message, size_t mic_offset);

}  // namespace core::registrar::ntlm

// SPDX-License-Identifier: Apache-2.0
// A test-only NTLM client built from the library's own primitives: it answers a
// CHALLENGE the way pidgin-sipe does in connectionless mode (NTLMv2, KEY_EXCH)
// and signs/verifies [MS-SIPAE] messages with the client-side keys.
#pragma once

#include <optional>
#include <string>

#include "core-server/registrar/ntlm/ntlm_auth.h"
#include "core-server/registrar/ntlm/ntlm_message.h"
#include "core-server/registrar/ntlm/ntlm_signature.h"

namespace core::registrar::ntlm::testing {

struct ClientInputs {
  std::string user;
  std::string domain;
  std::string workstation;
  NtHash nt_hash{};
  std::array<uint8_t, 8> client_challenge{};
  std::array<uint8_t, 8> timestamp{};  // FILETIME, little-endian as on the wire
  Key16 random_session_key{};
  std::array<uint8_t, 8> version = {5, 2, 0xce, 0x0e, 0, 0, 0, 0x0f};  // 5.2.3790
  bool with_mic = false;        // announce and fill a MIC (MsvAvFlags bit 0x2)
  bool lm_response_too = true;  // pidgin-sipe sends LMv2 as well
};

struct ClientResult {
  Bytes authenticate;  // the AUTHENTICATE_MESSAGE
  SessionKeys keys;    // the client's view of the session
};

// The flags pidgin-sipe keeps from a connectionless CHALLENGE.
inline constexpr uint32_t kSipeConnectionlessFlags =
    kNegotiateUnicode | kNegotiateNtlm | kNegotiateAlwaysSign | kNegotiateExtendedSessionSecurity |
    kNegotiateTargetInfo | kNegotiateVersion | kNegotiate128 | kNegotiate56 | kRequestTarget |
    kNegotiateSign | kNegotiateDatagram | kNegotiateIdentify | kNegotiateKeyExch;

inline std::optional<ClientResult> answerChallenge(ByteView challenge_bytes,
                                                   const ClientInputs& in) {
  auto challenge = decodeChallenge(challenge_bytes);
  if (!challenge) {
    return std::nullopt;
  }
  uint32_t flags = (challenge->flags & kSipeConnectionlessFlags) | kRequestTarget;
  if (flags & kNegotiate128) {
    flags &= ~kNegotiate56;
  }
  Bytes target_info = challenge->target_info;
  if (in.with_mic) {
    // Put MsvAvFlags (MIC present) in front of the server's pairs.
    const Bytes flag_pair = {6, 0, 4, 0, 2, 0, 0, 0};
    target_info.insert(target_info.begin(), flag_pair.begin(), flag_pair.end());
  }
  const auto key = ntowfV2(in.nt_hash, in.user, in.domain);
  if (!key) {
    return std::nullopt;
  }
  Bytes blob = {1, 1, 0, 0, 0, 0, 0, 0};
  blob.insert(blob.end(), in.timestamp.begin(), in.timestamp.end());
  blob.insert(blob.end(), in.client_challenge.begin(), in.client_challenge.end());
  blob.insert(blob.end(), {0, 0, 0, 0});
  blob.insert(blob.end(), target_info.begin(), target_info.end());
  blob.insert(blob.end(), {0, 0, 0, 0});
  const auto proof = hmacMd5(*key, {challenge->server_challenge, blob});
  const auto lm = hmacMd5(*key, {challenge->server_challenge, in.client_challenge});
  if (!proof || !lm) {
    return std::nullopt;
  }
  const auto base = hmacMd5(*key, {*proof});
  AuthenticateMessage message;
  message.flags = flags;
  message.user = in.user;
  message.domain = in.domain;
  message.workstation = in.workstation;
  message.version = in.version;
  message.nt_response.assign(proof->begin(), proof->end());
  message.nt_response.insert(message.nt_response.end(), blob.begin(), blob.end());
  if (in.lm_response_too) {
    message.lm_response.assign(lm->begin(), lm->end());
    message.lm_response.insert(message.lm_response.end(), in.client_challenge.begin(),
                               in.client_challenge.end());
  }
  const auto encrypted = rc4(*base, in.random_session_key);
  if (!encrypted) {
    return std::nullopt;
  }
  message.encrypted_session_key = *encrypted;
  ClientResult result;
  auto keys = deriveSessionKeys(flags, *base, message.encrypted_session_key);
  if (!keys) {
    return std::nullopt;
  }
  result.keys = *keys;
  result.authenticate = encodeAuthenticate(message, in.with_mic);
  if (in.with_mic) {
    auto decoded = decodeAuthenticate(result.authenticate);
    if (!decoded || !decoded->mic_offset) {
      return std::nullopt;
    }
    const auto mic = computeMic(keys->exported_session_key, challenge_bytes, result.authenticate,
                                *decoded->mic_offset);
    if (!mic) {
      return std::nullopt;
    }
    std::copy(mic->begin(), mic->end(), result.authenticate.begin() + *decoded->mic_offset);
  }
  return result;
}

}  // namespace core::registrar::ntlm::testing

// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/ntlm/ntlm_auth.h"

#include <cstring>

namespace core::registrar::ntlm {
namespace {

constexpr size_t kV1ResponseSize = 24;
// NTProofStr (16) + RespType, HiRespType, Z(6), TimeStamp (8), ClientChallenge (8), Z(4).
constexpr size_t kV2MinimumSize = 16 + 28;
constexpr size_t kV2BlobAvPairsAt = 28;

proxy::Error refused(std::string detail) { return proxy::makeError(403, "NTLM: " + detail); }
proxy::Error malformed(std::string detail) { return proxy::makeError(400, "NTLM: " + detail); }
proxy::Error cryptoFailure() { return proxy::makeError(500, "NTLM: crypto unavailable"); }

// Uppercases UTF-16LE code units in ASCII and Latin-1 (except ÷ and ÿ).
void uppercaseUtf16(Bytes& text) {
  for (size_t i = 0; i + 1 < text.size(); i += 2) {
    if (text[i + 1] != 0) {
      continue;
    }
    const uint8_t c = text[i];
    if ((c >= 'a' && c <= 'z') || (c >= 0xe0 && c <= 0xfe && c != 0xf7)) {
      text[i] = static_cast<uint8_t>(c - 0x20);
    }
  }
}

bool micAnnounced(ByteView blob) {
  auto pairs = decodeAvPairs(blob.subspan(kV2BlobAvPairsAt));
  if (!pairs) {
    return false;
  }
  for (const AvPair& pair : *pairs) {
    if (pair.id == AvId::Flags && pair.value.size() == 4) {
      const uint32_t flags = pair.value[0] | (pair.value[1] << 8) | (pair.value[2] << 16) |
                             (static_cast<uint32_t>(pair.value[3]) << 24);
      return flags & kAvFlagMicPresent;
    }
  }
  return false;
}

proxy::Result<VerifiedResponse> verifyV2(const AuthenticateMessage& message, const NtHash& nt_hash,
                                         const ServerChallenge& server_challenge) {
  const ByteView nt = message.nt_response;
  const ByteView proof = nt.first(16);
  const ByteView blob = nt.subspan(16);
  if (blob[0] != 1 || blob[1] != 1) {
    return malformed("unknown NTLMv2 response version");
  }
  // The blob's AV pairs must be well formed, even though we only read MsvAvFlags.
  if (auto pairs = decodeAvPairs(blob.subspan(kV2BlobAvPairsAt)); !pairs) {
    return pairs.error();
  }
  const std::optional<Key16> key = ntowfV2(nt_hash, message.user, message.domain);
  if (!key) {
    return cryptoFailure();
  }
  const std::optional<Key16> expected = hmacMd5(*key, {server_challenge, blob});
  if (!expected) {
    return cryptoFailure();
  }
  if (!equalSecret(*expected, proof)) {
    return refused("wrong credentials");
  }
  const std::optional<Key16> base = hmacMd5(*key, {proof});
  if (!base) {
    return cryptoFailure();
  }
  VerifiedResponse verified;
  verified.kind = ResponseKind::NtlmV2;
  verified.session_base_key = *base;
  verified.key_exchange_key = *base;  // KXKEY for NTLMv2 ([MS-NLMP] 3.4.5.1)
  verified.mic_present = micAnnounced(blob);
  return verified;
}

proxy::Result<VerifiedResponse> verifyV1Ess(const AuthenticateMessage& message,
                                            const NtHash& nt_hash,
                                            const ServerChallenge& server_challenge) {
  if (message.lm_response.size() < 8) {
    return malformed("NTLMv1 response without a client challenge");
  }
  const ByteView client_challenge = ByteView(message.lm_response).first(8);
  const std::optional<Key16> hash = md5({server_challenge, client_challenge});
  if (!hash) {
    return cryptoFailure();
  }
  const std::optional<std::array<uint8_t, 24>> expected =
      desl(nt_hash, std::span<const uint8_t, 8>(hash->data(), 8));
  if (!expected) {
    return cryptoFailure();
  }
  if (!equalSecret(*expected, message.nt_response)) {
    return refused("wrong credentials");
  }
  const std::optional<Key16> base = md4(nt_hash);
  if (!base) {
    return cryptoFailure();
  }
  const std::optional<Key16> kx = hmacMd5(*base, {server_challenge, client_challenge});
  if (!kx) {
    return cryptoFailure();
  }
  VerifiedResponse verified;
  verified.kind = ResponseKind::NtlmV1ExtendedSessionSecurity;
  verified.session_base_key = *base;
  verified.key_exchange_key = *kx;
  return verified;
}

std::optional<Key16> keyWithMagic(ByteView key, const char* magic) {
  // The magic constants are hashed with their terminating NUL ([MS-NLMP] 3.4.5.2).
  return md5({key, ByteView(reinterpret_cast<const uint8_t*>(magic), std::strlen(magic) + 1)});
}

}  // namespace

std::optional<Key16> ntowfV2(const NtHash& nt_hash, std::string_view user_utf8,
                             std::string_view domain_utf8) {
  std::optional<Bytes> user = utf8ToUtf16le(user_utf8);
  const std::optional<Bytes> domain = utf8ToUtf16le(domain_utf8);
  if (!user || !domain) {
    return std::nullopt;
  }
  uppercaseUtf16(*user);
  return hmacMd5(nt_hash, {*user, *domain});
}

std::optional<std::array<uint8_t, 24>> desl(const Key16& key, std::span<const uint8_t, 8> data) {
  std::array<uint8_t, 21> k{};
  std::copy(key.begin(), key.end(), k.begin());
  std::array<uint8_t, 24> out{};
  for (size_t i = 0; i < 3; ++i) {
    const auto block = des56(std::span<const uint8_t, 7>(k.data() + 7 * i, 7), data);
    if (!block) {
      return std::nullopt;
    }
    std::copy(block->begin(), block->end(), out.begin() + 8 * i);
  }
  return out;
}

proxy::Result<VerifiedResponse> verifyResponse(const AuthenticateMessage& message,
                                               const NtHash& nt_hash,
                                               const ServerChallenge& server_challenge,
                                               const VerifyPolicy& policy) {
  if ((message.flags & kNegotiateAnonymous) || message.user.empty()) {
    return refused("anonymous logon refused");
  }
  if (message.nt_response.empty()) {
    return refused("LM-only response refused");
  }
  if (message.nt_response.size() >= kV2MinimumSize) {
    return verifyV2(message, nt_hash, server_challenge);
  }
  if (message.nt_response.size() != kV1ResponseSize) {
    return malformed("NtChallengeResponse has an impossible length");
  }
  if (!(message.flags & kNegotiateExtendedSessionSecurity)) {
    return refused("NTLMv1 without extended session security refused");
  }
  if (!policy.allow_ntlmv1_ess) {
    return refused("NTLMv1 refused by policy");
  }
  return verifyV1Ess(message, nt_hash, server_challenge);
}

std::optional<Key16> signKey(const Key16& exported_session_key, bool client_to_server) {
  return keyWithMagic(exported_session_key,
                      client_to_server
                          ? "session key to client-to-server signing key magic constant"
                          : "session key to server-to-client signing key magic constant");
}

std::optional<Key16> sealKey(uint32_t flags, const Key16& exported_session_key,
                             bool client_to_server) {
  size_t length = 5;  // 40-bit unless 128 or 56 was negotiated ([MS-NLMP] 3.4.5.3)
  if (flags & kNegotiate128) {
    length = 16;
  } else if (flags & kNegotiate56) {
    length = 7;
  }
  return keyWithMagic(ByteView(exported_session_key).first(length),
                      client_to_server
                          ? "session key to client-to-server sealing key magic constant"
                          : "session key to server-to-client sealing key magic constant");
}

proxy::Result<SessionKeys> deriveSessionKeys(uint32_t flags, const Key16& key_exchange_key,
                                             ByteView encrypted_session_key) {
  if (!(flags & kNegotiateExtendedSessionSecurity)) {
    return refused("signing needs extended session security");
  }
  SessionKeys keys;
  keys.flags = flags;
  if (flags & kNegotiateKeyExch) {
    if (encrypted_session_key.size() != 16) {
      return malformed("KEY_EXCH without a 16-byte EncryptedRandomSessionKey");
    }
    const std::optional<Bytes> exported = rc4(key_exchange_key, encrypted_session_key);
    if (!exported) {
      return cryptoFailure();
    }
    std::copy(exported->begin(), exported->end(), keys.exported_session_key.begin());
  } else {
    keys.exported_session_key = key_exchange_key;
  }
  const auto cs = signKey(keys.exported_session_key, true);
  const auto ss = signKey(keys.exported_session_key, false);
  const auto cl = sealKey(flags, keys.exported_session_key, true);
  const auto sl = sealKey(flags, keys.exported_session_key, false);
  if (!cs || !ss || !cl || !sl) {
    return cryptoFailure();
  }
  keys.client_signing_key = *cs;
  keys.server_signing_key = *ss;
  keys.client_sealing_key = *cl;
  keys.server_sealing_key = *sl;
  return keys;
}

std::optional<Key16> computeMic(const Key16& exported_session_key, ByteView challenge_message,
                                ByteView authenticate_message, size_t mic_offset) {
  if (mic_offset + 16 > authenticate_message.size()) {
    return std::nullopt;
  }
  static constexpr std::array<uint8_t, 16> kZeroMic{};
  return hmacMd5(exported_session_key, {challenge_message, authenticate_message.first(mic_offset),
                                        kZeroMic, authenticate_message.subspan(mic_offset + 16)});
}

}  // namespace core::registrar::ntlm

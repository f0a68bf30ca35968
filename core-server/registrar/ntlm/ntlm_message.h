// SPDX-License-Identifier: Apache-2.0
// NTLM wire messages ([MS-NLMP] 2.2.1): NEGOTIATE (type 1), CHALLENGE (type 2)
// and AUTHENTICATE (type 3), plus the AV_PAIR list (2.2.2.1). Decoders treat the
// bytes as hostile: every offset/length is checked against the buffer, strings
// must be valid UTF-16LE (or ASCII when OEM), and errors are Results, never UB.
// Encoders for CHALLENGE (what the server sends) and AUTHENTICATE (what a test
// client sends) share the same layout code.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core-server/registrar/ntlm/ntlm_crypto.h"
#include "proxy/base/result.h"

namespace core::registrar::ntlm {

// NegotiateFlags ([MS-NLMP] 2.2.2.5).
inline constexpr uint32_t kNegotiateUnicode = 0x00000001;                  // A
inline constexpr uint32_t kNegotiateOem = 0x00000002;                      // B
inline constexpr uint32_t kRequestTarget = 0x00000004;                     // C
inline constexpr uint32_t kNegotiateSign = 0x00000010;                     // D
inline constexpr uint32_t kNegotiateSeal = 0x00000020;                     // E
inline constexpr uint32_t kNegotiateDatagram = 0x00000040;                 // F
inline constexpr uint32_t kNegotiateLmKey = 0x00000080;                    // G
inline constexpr uint32_t kNegotiateNtlm = 0x00000200;                     // H
inline constexpr uint32_t kNegotiateAnonymous = 0x00000800;                // J
inline constexpr uint32_t kNegotiateAlwaysSign = 0x00008000;               // M
inline constexpr uint32_t kTargetTypeDomain = 0x00010000;                  // N
inline constexpr uint32_t kTargetTypeServer = 0x00020000;                  // O
inline constexpr uint32_t kNegotiateExtendedSessionSecurity = 0x00080000;  // P
inline constexpr uint32_t kNegotiateIdentify = 0x00100000;                 // Q
inline constexpr uint32_t kRequestNonNtSessionKey = 0x00400000;            // R
inline constexpr uint32_t kNegotiateTargetInfo = 0x00800000;               // S
inline constexpr uint32_t kNegotiateVersion = 0x02000000;                  // T
inline constexpr uint32_t kNegotiate128 = 0x20000000;                      // U
inline constexpr uint32_t kNegotiateKeyExch = 0x40000000;                  // V
inline constexpr uint32_t kNegotiate56 = 0x80000000;                       // W

// AvId values ([MS-NLMP] 2.2.2.1).
enum class AvId : uint16_t {
  Eol = 0,
  NbComputerName = 1,
  NbDomainName = 2,
  DnsComputerName = 3,
  DnsDomainName = 4,
  DnsTreeName = 5,
  Flags = 6,
  Timestamp = 7,
  SingleHost = 8,
  TargetName = 9,
  ChannelBindings = 10,
};
inline constexpr uint32_t kAvFlagMicPresent = 0x00000002;  // MsvAvFlags bit: MIC is set

struct AvPair {
  AvId id = AvId::Eol;
  Bytes value;
};

// Encodes the pairs followed by MsvAvEOL.
Bytes encodeAvPairs(const std::vector<AvPair>& pairs);
// Decodes up to MsvAvEOL; an error if a pair overruns or EOL is missing.
proxy::Result<std::vector<AvPair>> decodeAvPairs(ByteView bytes);

// The names a server announces in its CHALLENGE TargetInfo (NTLMv2 needs them).
struct TargetNames {
  std::string netbios_domain;    // e.g. "CONFAB"
  std::string netbios_computer;  // e.g. "SIP"
  std::string dns_domain;        // e.g. "example.com"
  std::string dns_computer;      // e.g. "sip.example.com"
};
Bytes encodeTargetInfo(const TargetNames& names);

// The 8-byte VERSION structure ([MS-NLMP] 2.2.2.10) we announce: 6.1.7601, NTLM revision 15.
inline constexpr std::array<uint8_t, 8> kOurVersion = {6, 1, 0xb1, 0x1d, 0, 0, 0, 0x0f};

struct NegotiateMessage {
  uint32_t flags = 0;
  std::string domain;       // OEM, as supplied (often empty)
  std::string workstation;  // OEM, as supplied (often empty)
};

struct ChallengeMessage {
  uint32_t flags = 0;
  std::array<uint8_t, 8> server_challenge{};
  std::string target_name;  // encoded as UTF-16LE when kNegotiateUnicode
  Bytes target_info;        // AV pairs, already encoded
};

struct AuthenticateMessage {
  uint32_t flags = 0;
  Bytes lm_response;
  Bytes nt_response;
  std::string domain;  // UTF-8 (from UTF-16LE, or ASCII when OEM)
  std::string user;
  std::string workstation;
  Bytes encrypted_session_key;
  // Where the 16-byte MIC field sits when the header has room for it (payload
  // starts at or after offset 88); the MIC is only meaningful when the NTLMv2
  // blob's MsvAvFlags says so.
  std::optional<size_t> mic_offset;
  std::array<uint8_t, 8> version{};
};

proxy::Result<NegotiateMessage> decodeNegotiate(ByteView bytes);
Bytes encodeChallenge(const ChallengeMessage& message);
proxy::Result<ChallengeMessage> decodeChallenge(ByteView bytes);
proxy::Result<AuthenticateMessage> decodeAuthenticate(ByteView bytes);
// Always writes the Version field; writes a zero MIC field when `with_mic`.
Bytes encodeAuthenticate(const AuthenticateMessage& message, bool with_mic = false);

// The message type of an NTLMSSP buffer (1, 2, 3), or nullopt if it is not one.
std::optional<uint32_t> messageType(ByteView bytes);

}  // namespace core::registrar::ntlm

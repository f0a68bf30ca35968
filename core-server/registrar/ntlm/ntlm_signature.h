// SPDX-License-Identifier: Apache-2.0
// Message signatures after an NTLM logon, as [MS-SIPAE] uses them: the input
// buffer built from SIP header values (3.2.5.2 / 3.3.5.2 and [MS-SIP] 3.1.4.2)
// and the NTLM MAC over it ([MS-NLMP] 3.4.4.2, connectionless: the RC4 handle
// is keyed afresh for every message, with MD5(SealingKey || SeqNum) when
// NTLMSSP_NEGOTIATE_DATAGRAM is set, 3.4.3).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core-server/registrar/ntlm/ntlm_auth.h"
#include "core-server/registrar/ntlm/ntlm_crypto.h"

namespace core::registrar::ntlm {

// The NTLM SeqNum every [MS-SIPAE] signature carries. Connectionless NTLM lets
// the application choose it ([MS-NLMP] 3.4.4); Office Communicator / OCS use
// 100 for every message in both directions (0x64 in every captured signature),
// and pidgin-sipe does the same. Replay protection is cnum/snum's job instead.
inline constexpr uint32_t kSipaeSeqNum = 100;

using Signature = std::array<uint8_t, 16>;  // NTLMSSP_MESSAGE_SIGNATURE, ESS form

// MAC(Handle, SigningKey, SeqNum, Message) with extended session security
// ([MS-NLMP] 3.4.4.2): Version 1, HMAC_MD5(SigningKey, SeqNum || Message)[0..7]
// (RC4-encrypted when KEY_EXCH is negotiated), SeqNum.
std::optional<Signature> computeMac(uint32_t flags, const Key16& signing_key,
                                    const Key16& sealing_key, uint32_t seq_num, ByteView message);

// Values from the SIP message exactly as they appear on the wire (same case,
// no unquoting), borrowed for the duration of one call. Absent values are "".
struct SignedFields {
  std::string_view call_id;
  std::string_view cseq_number;  // "3" from "CSeq: 3 REGISTER"
  std::string_view cseq_method;  // "REGISTER"
  std::string_view from_uri;     // the URI inside <...> (or before the first ';')
  std::string_view from_tag;
  std::string_view to_uri;
  std::string_view to_tag;
  std::string_view pai_sip_uri;  // P-Asserted-Identity (else P-Preferred-Identity) sip: URI
  std::string_view pai_tel_uri;  // ... and its tel: URI
  std::string_view expires;      // the Expires header value, if any
  int response_code = 0;         // responses only; 0 for requests
};

// Who signs: the authentication protocol and SA values plus this message's salt
// (crand/srand) and sequence number (cnum/snum).
struct SignatureContext {
  std::string_view protocol = "NTLM";
  std::string_view rand;
  std::string_view num;
  std::string_view realm;
  std::string_view targetname;
  int version = 4;  // the challenge's "version="; below 3 uses the short [MS-SIP] layout
};

// "<NTLM><rand><num><realm><targetname><callid><cseq#><method><fromuri><fromtag>
// <touri><totag><pai-sip><pai-tel><expires>" plus "<code>" for responses (version >= 3);
// version < 3 omits <touri>, <pai-sip> and <pai-tel>.
std::string signatureBuffer(const SignatureContext& context, const SignedFields& fields);

}  // namespace core::registrar::ntlm

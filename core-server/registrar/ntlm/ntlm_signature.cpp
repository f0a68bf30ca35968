// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/ntlm/ntlm_signature.h"

namespace core::registrar::ntlm {
namespace {

std::array<uint8_t, 4> littleEndian(uint32_t v) {
  return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 24)};
}

void appendBracketed(std::string& out, std::string_view value) {
  out += '<';
  out += value;
  out += '>';
}

}  // namespace

std::optional<Signature> computeMac(uint32_t flags, const Key16& signing_key,
                                    const Key16& sealing_key, uint32_t seq_num, ByteView message) {
  const std::array<uint8_t, 4> seq = littleEndian(seq_num);
  const std::optional<Key16> hmac = hmacMd5(signing_key, {seq, message});
  if (!hmac) {
    return std::nullopt;
  }
  Signature signature{};
  signature[0] = 1;  // Version
  std::copy(hmac->begin(), hmac->begin() + 8, signature.begin() + 4);
  std::copy(seq.begin(), seq.end(), signature.begin() + 12);
  if (flags & kNegotiateKeyExch) {
    std::optional<Key16> handle_key = sealing_key;
    if (flags & kNegotiateDatagram) {
      handle_key = md5({sealing_key, seq});
    }
    if (!handle_key) {
      return std::nullopt;
    }
    const std::optional<Bytes> checksum = rc4(*handle_key, ByteView(*hmac).first(8));
    if (!checksum) {
      return std::nullopt;
    }
    std::copy(checksum->begin(), checksum->end(), signature.begin() + 4);
  }
  return signature;
}

std::string signatureBuffer(const SignatureContext& context, const SignedFields& fields) {
  std::string out;
  out.reserve(256);
  appendBracketed(out, context.protocol);
  appendBracketed(out, context.rand);
  appendBracketed(out, context.num);
  appendBracketed(out, context.realm);
  appendBracketed(out, context.targetname);
  appendBracketed(out, fields.call_id);
  appendBracketed(out, fields.cseq_number);
  appendBracketed(out, fields.cseq_method);
  appendBracketed(out, fields.from_uri);
  appendBracketed(out, fields.from_tag);
  if (context.version >= 3) {
    appendBracketed(out, fields.to_uri);
  }
  appendBracketed(out, fields.to_tag);
  if (context.version >= 3) {
    appendBracketed(out, fields.pai_sip_uri);
    appendBracketed(out, fields.pai_tel_uri);
  }
  appendBracketed(out, fields.expires);
  if (fields.response_code != 0) {
    appendBracketed(out, std::to_string(fields.response_code));
  }
  return out;
}

}  // namespace core::registrar::ntlm

// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/ntlm/ntlm_message.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace core::registrar::ntlm {
namespace {

constexpr std::array<uint8_t, 8> kSignature = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
constexpr size_t kMaxAvPairs = 64;
constexpr size_t kChallengeHeader = 56;      // through Version
constexpr size_t kAuthenticateHeader = 72;   // through Version, without MIC
constexpr size_t kAuthenticateMinimum = 64;  // no Version (pre-XP SP2 clients)
constexpr size_t kMicSize = 16;

proxy::Error malformed(std::string detail) {
  return proxy::makeError(400, "NTLM: " + std::move(detail));
}

uint16_t readU16(ByteView b, size_t at) { return static_cast<uint16_t>(b[at] | (b[at + 1] << 8)); }
uint32_t readU32(ByteView b, size_t at) {
  return static_cast<uint32_t>(b[at]) | (static_cast<uint32_t>(b[at + 1]) << 8) |
         (static_cast<uint32_t>(b[at + 2]) << 16) | (static_cast<uint32_t>(b[at + 3]) << 24);
}
void putU16(Bytes& out, size_t at, uint32_t v) {
  out[at] = static_cast<uint8_t>(v);
  out[at + 1] = static_cast<uint8_t>(v >> 8);
}
void putU32(Bytes& out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

// A (Len, MaxLen, BufferOffset) field checked against the whole message.
struct Field {
  size_t offset = 0;
  size_t length = 0;
};

proxy::Result<Field> readField(ByteView message, size_t at, const char* name) {
  const size_t length = readU16(message, at);
  const size_t offset = readU32(message, at + 4);
  if (length == 0) {
    return Field{offset, 0};  // empty fields may carry any offset
  }
  if (offset > message.size() || length > message.size() - offset) {
    return malformed(std::string(name) + " points outside the message");
  }
  return Field{offset, length};
}

ByteView slice(ByteView message, const Field& f) { return message.subspan(f.offset, f.length); }

proxy::Result<std::string> readString(ByteView message, const Field& f, bool unicode,
                                      const char* name) {
  const ByteView raw = slice(message, f);
  if (unicode) {
    std::optional<std::string> text = utf16leToUtf8(raw);
    if (!text) {
      return malformed(std::string(name) + " is not valid UTF-16LE");
    }
    return std::move(*text);
  }
  if (std::any_of(raw.begin(), raw.end(), [](uint8_t c) { return c >= 0x80 || c == 0; })) {
    return malformed(std::string(name) + " is not ASCII");
  }
  return std::string(raw.begin(), raw.end());
}

Bytes encodeString(std::string_view text, bool unicode) {
  if (unicode) {
    return utf8ToUtf16le(text).value_or(Bytes{});
  }
  return Bytes(text.begin(), text.end());
}

proxy::Result<void> checkHeader(ByteView bytes, uint32_t type, size_t minimum) {
  if (bytes.size() < minimum) {
    return malformed("message too short");
  }
  if (!std::equal(kSignature.begin(), kSignature.end(), bytes.begin())) {
    return malformed("missing NTLMSSP signature");
  }
  if (readU32(bytes, 8) != type) {
    return malformed("unexpected message type");
  }
  return {};
}

// Appends `data` to the payload and points the field at `at` to it.
void appendField(Bytes& out, size_t at, ByteView data) {
  putU16(out, at, static_cast<uint32_t>(data.size()));
  putU16(out, at + 2, static_cast<uint32_t>(data.size()));
  putU32(out, at + 4, static_cast<uint32_t>(out.size()));
  out.insert(out.end(), data.begin(), data.end());
}

}  // namespace

Bytes encodeAvPairs(const std::vector<AvPair>& pairs) {
  Bytes out;
  for (const AvPair& pair : pairs) {
    const auto id = static_cast<uint16_t>(pair.id);
    const auto len = static_cast<uint16_t>(std::min<size_t>(pair.value.size(), 0xffff));
    out.insert(out.end(), {static_cast<uint8_t>(id), static_cast<uint8_t>(id >> 8),
                           static_cast<uint8_t>(len), static_cast<uint8_t>(len >> 8)});
    out.insert(out.end(), pair.value.begin(), pair.value.begin() + len);
  }
  out.insert(out.end(), {0, 0, 0, 0});
  return out;
}

proxy::Result<std::vector<AvPair>> decodeAvPairs(ByteView bytes) {
  std::vector<AvPair> pairs;
  size_t at = 0;
  while (true) {
    if (bytes.size() - at < 4) {
      return malformed("AV_PAIR list without MsvAvEOL");
    }
    const uint16_t id = readU16(bytes, at);
    const size_t len = readU16(bytes, at + 2);
    at += 4;
    if (id == static_cast<uint16_t>(AvId::Eol)) {
      return pairs;
    }
    if (len > bytes.size() - at) {
      return malformed("AV_PAIR overruns its buffer");
    }
    if (pairs.size() == kMaxAvPairs) {
      return malformed("too many AV_PAIRs");
    }
    const ByteView value = bytes.subspan(at, len);
    pairs.push_back(AvPair{static_cast<AvId>(id), Bytes(value.begin(), value.end())});
    at += len;
  }
}

Bytes encodeTargetInfo(const TargetNames& names) {
  auto pair = [](AvId id, std::string_view text) { return AvPair{id, encodeString(text, true)}; };
  return encodeAvPairs({pair(AvId::NbDomainName, names.netbios_domain),
                        pair(AvId::NbComputerName, names.netbios_computer),
                        pair(AvId::DnsDomainName, names.dns_domain),
                        pair(AvId::DnsComputerName, names.dns_computer)});
}

std::optional<uint32_t> messageType(ByteView bytes) {
  if (bytes.size() < 12 || !std::equal(kSignature.begin(), kSignature.end(), bytes.begin())) {
    return std::nullopt;
  }
  return readU32(bytes, 8);
}

proxy::Result<NegotiateMessage> decodeNegotiate(ByteView bytes) {
  if (auto header = checkHeader(bytes, 1, 16); !header) {
    return header.error();
  }
  NegotiateMessage message;
  message.flags = readU32(bytes, 12);
  if (bytes.size() >= 32) {  // older clients stop after the flags
    auto domain = readField(bytes, 16, "DomainName");
    auto host = readField(bytes, 24, "Workstation");
    if (!domain) {
      return domain.error();
    }
    if (!host) {
      return host.error();
    }
    auto domain_text = readString(bytes, *domain, false, "DomainName");
    auto host_text = readString(bytes, *host, false, "Workstation");
    if (!domain_text) {
      return domain_text.error();
    }
    if (!host_text) {
      return host_text.error();
    }
    message.domain = std::move(*domain_text);
    message.workstation = std::move(*host_text);
  }
  return message;
}

Bytes encodeChallenge(const ChallengeMessage& message) {
  Bytes out(kChallengeHeader, 0);
  std::copy(kSignature.begin(), kSignature.end(), out.begin());
  putU32(out, 8, 2);
  putU32(out, 20, message.flags);
  std::copy(message.server_challenge.begin(), message.server_challenge.end(), out.begin() + 24);
  std::copy(kOurVersion.begin(), kOurVersion.end(), out.begin() + 48);
  appendField(out, 12, encodeString(message.target_name, message.flags & kNegotiateUnicode));
  appendField(out, 40, message.target_info);
  return out;
}

proxy::Result<ChallengeMessage> decodeChallenge(ByteView bytes) {
  if (auto header = checkHeader(bytes, 2, 48); !header) {
    return header.error();
  }
  ChallengeMessage message;
  message.flags = readU32(bytes, 20);
  std::copy(bytes.begin() + 24, bytes.begin() + 32, message.server_challenge.begin());
  auto name = readField(bytes, 12, "TargetName");
  auto info = readField(bytes, 40, "TargetInfo");
  if (!name) {
    return name.error();
  }
  if (!info) {
    return info.error();
  }
  auto name_text = readString(bytes, *name, message.flags & kNegotiateUnicode, "TargetName");
  if (!name_text) {
    return name_text.error();
  }
  message.target_name = std::move(*name_text);
  const ByteView target_info = slice(bytes, *info);
  message.target_info.assign(target_info.begin(), target_info.end());
  return message;
}

proxy::Result<AuthenticateMessage> decodeAuthenticate(ByteView bytes) {
  if (auto header = checkHeader(bytes, 3, kAuthenticateMinimum); !header) {
    return header.error();
  }
  AuthenticateMessage message;
  message.flags = readU32(bytes, 60);
  const bool unicode = message.flags & kNegotiateUnicode;
  struct Spec {
    size_t at;
    const char* name;
  };
  static constexpr Spec kFields[] = {
      {12, "LmChallengeResponse"}, {20, "NtChallengeResponse"},
      {28, "DomainName"},          {36, "UserName"},
      {44, "Workstation"},         {52, "EncryptedRandomSessionKey"}};
  Field fields[6];
  size_t payload_start = bytes.size();
  for (size_t i = 0; i < 6; ++i) {
    auto field = readField(bytes, kFields[i].at, kFields[i].name);
    if (!field) {
      return field.error();
    }
    fields[i] = *field;
    if (field->length > 0) {
      payload_start = std::min(payload_start, field->offset);
    }
  }
  if (payload_start < kAuthenticateMinimum) {
    return malformed("payload overlaps the header");
  }
  auto assign = [&](Bytes& to, const Field& f) {
    const ByteView v = slice(bytes, f);
    to.assign(v.begin(), v.end());
  };
  assign(message.lm_response, fields[0]);
  assign(message.nt_response, fields[1]);
  assign(message.encrypted_session_key, fields[5]);
  std::string* strings[] = {&message.domain, &message.user, &message.workstation};
  for (size_t i = 0; i < 3; ++i) {
    auto text = readString(bytes, fields[2 + i], unicode, kFields[2 + i].name);
    if (!text) {
      return text.error();
    }
    *strings[i] = std::move(*text);
  }
  if (payload_start >= kAuthenticateHeader) {
    std::copy(bytes.begin() + 64, bytes.begin() + 72, message.version.begin());
  }
  if (payload_start >= kAuthenticateHeader + kMicSize) {
    message.mic_offset = kAuthenticateHeader;
  }
  return message;
}

Bytes encodeAuthenticate(const AuthenticateMessage& message, bool with_mic) {
  Bytes out(kAuthenticateHeader + (with_mic ? kMicSize : 0), 0);
  std::copy(kSignature.begin(), kSignature.end(), out.begin());
  putU32(out, 8, 3);
  putU32(out, 60, message.flags);
  std::copy(message.version.begin(), message.version.end(), out.begin() + 64);
  const bool unicode = message.flags & kNegotiateUnicode;
  // Payload order as Windows and pidgin-sipe write it.
  appendField(out, 28, encodeString(message.domain, unicode));
  appendField(out, 36, encodeString(message.user, unicode));
  appendField(out, 44, encodeString(message.workstation, unicode));
  appendField(out, 12, message.lm_response);
  appendField(out, 20, message.nt_response);
  appendField(out, 52, message.encrypted_session_key);
  return out;
}

}  // namespace core::registrar::ntlm

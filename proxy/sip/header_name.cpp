// SPDX-License-Identifier: Apache-2.0
// Header-name table: a constexpr open-addressing hash table over the canonical
// names, so a lookup hashes once and compares against (nearly always) one
// name, eight octets at a time.
#include "proxy/sip/header_name.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "proxy/base/strings.h"

namespace proxy::sip {
namespace {

struct Entry {
  std::string_view name;  // canonical spelling
  HeaderName id;
};

constexpr std::array<Entry, static_cast<size_t>(HeaderName::Count_) - 1> kCanonical = {{
    {"Accept", HeaderName::Accept},
    {"Accept-Encoding", HeaderName::AcceptEncoding},
    {"Accept-Language", HeaderName::AcceptLanguage},
    {"Alert-Info", HeaderName::AlertInfo},
    {"Allow", HeaderName::Allow},
    {"Allow-Events", HeaderName::AllowEvents},
    {"Authentication-Info", HeaderName::AuthenticationInfo},
    {"Authorization", HeaderName::Authorization},
    {"Call-ID", HeaderName::CallId},
    {"Call-Info", HeaderName::CallInfo},
    {"Contact", HeaderName::Contact},
    {"Content-Disposition", HeaderName::ContentDisposition},
    {"Content-Encoding", HeaderName::ContentEncoding},
    {"Content-Language", HeaderName::ContentLanguage},
    {"Content-Length", HeaderName::ContentLength},
    {"Content-Type", HeaderName::ContentType},
    {"CSeq", HeaderName::CSeq},
    {"Date", HeaderName::Date},
    {"Error-Info", HeaderName::ErrorInfo},
    {"Event", HeaderName::Event},
    {"Expires", HeaderName::Expires},
    {"From", HeaderName::From},
    {"In-Reply-To", HeaderName::InReplyTo},
    {"Max-Forwards", HeaderName::MaxForwards},
    {"Min-Expires", HeaderName::MinExpires},
    {"MIME-Version", HeaderName::MimeVersion},
    {"Organization", HeaderName::Organization},
    {"Path", HeaderName::Path},
    {"Priority", HeaderName::Priority},
    {"Proxy-Authenticate", HeaderName::ProxyAuthenticate},
    {"Proxy-Authorization", HeaderName::ProxyAuthorization},
    {"Proxy-Require", HeaderName::ProxyRequire},
    {"Record-Route", HeaderName::RecordRoute},
    {"Refer-To", HeaderName::ReferTo},
    {"Referred-By", HeaderName::ReferredBy},
    {"Reply-To", HeaderName::ReplyTo},
    {"Require", HeaderName::Require},
    {"Retry-After", HeaderName::RetryAfter},
    {"Route", HeaderName::Route},
    {"Server", HeaderName::Server},
    {"Session-Expires", HeaderName::SessionExpires},
    {"SIP-ETag", HeaderName::SipETag},
    {"SIP-If-Match", HeaderName::SipIfMatch},
    {"Subject", HeaderName::Subject},
    {"Subscription-State", HeaderName::SubscriptionState},
    {"Supported", HeaderName::Supported},
    {"Timestamp", HeaderName::Timestamp},
    {"To", HeaderName::To},
    {"Unsupported", HeaderName::Unsupported},
    {"User-Agent", HeaderName::UserAgent},
    {"Via", HeaderName::Via},
    {"Warning", HeaderName::Warning},
    {"WWW-Authenticate", HeaderName::WwwAuthenticate},
    {"ms-keep-alive", HeaderName::MsKeepAlive},
}};

// canonicalHeaderName() indexes kCanonical by enum value.
constexpr bool inEnumOrder() {
  for (size_t i = 0; i < kCanonical.size(); ++i) {
    if (static_cast<size_t>(kCanonical[i].id) != i + 1) {
      return false;
    }
  }
  return true;
}
static_assert(inEnumOrder());

constexpr size_t kMaxNameLength = 19;  // "Proxy-Authorization", "Content-Disposition"

// A canonical name prepared for a case-insensitive compare without branches:
// (input | mask) == lower, where mask has 0x20 at letter positions only, so a
// non-letter (like '-') must match exactly.
struct Key {
  char lower[24] = {};
  char mask[24] = {};
  uint8_t length = 0;
  HeaderName id = HeaderName::Other;
};

constexpr Key makeKey(const Entry& e) {
  Key key;
  key.length = static_cast<uint8_t>(e.name.size());
  key.id = e.id;
  for (size_t i = 0; i < e.name.size(); ++i) {
    const char c = e.name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    key.lower[i] = letter ? static_cast<char>(c | 0x20) : c;
    key.mask[i] = letter ? 0x20 : 0;
  }
  return key;
}

// Open-addressing hash table over the keys: a slot holds an index into kKeys,
// or kEmpty. The hash reads the length and three octets with their case bit
// set, so a lookup usually lands on its key, or on an empty slot, at once.
constexpr std::array<Key, kCanonical.size()> kKeys = [] {
  std::array<Key, kCanonical.size()> keys{};
  for (size_t i = 0; i < kCanonical.size(); ++i) {
    keys[i] = makeKey(kCanonical[i]);
  }
  return keys;
}();

constexpr size_t kSlots = 256;  // a power of two, well over twice the key count
constexpr uint8_t kEmpty = 0xff;
static_assert(kKeys.size() < kEmpty && kKeys.size() * 2 < kSlots);

// `name` has 2 to kMaxNameLength octets.
constexpr size_t slotOf(std::string_view name) {
  const auto octet = [&](size_t i) {
    return static_cast<size_t>(static_cast<unsigned char>(name[i]) | 0x20);
  };
  // Multipliers picked so that only Refer-To and Reply-To share a slot.
  return (octet(0) * 11 + octet(1) + octet(name.size() - 1) * 7 + name.size() * 3) & (kSlots - 1);
}

constexpr auto kTable = [] {
  std::array<uint8_t, kSlots> table{};
  for (uint8_t& slot : table) {
    slot = kEmpty;
  }
  for (size_t i = 0; i < kCanonical.size(); ++i) {
    size_t slot = slotOf(kCanonical[i].name);
    while (table[slot] != kEmpty) {
      slot = (slot + 1) & (kSlots - 1);
    }
    table[slot] = static_cast<uint8_t>(i);
  }
  return table;
}();

constexpr size_t longestName() {
  size_t longest = 0;
  for (const Entry& e : kCanonical) {
    longest = std::max(longest, e.name.size());
  }
  return longest;
}
static_assert(longestName() == kMaxNameLength);

// Compares sizeof(Word) octets of the input at `offset` with the key.
template <typename Word>
bool wordEquals(const char* input, const Key& key, size_t offset) {
  Word in = 0;
  Word mask = 0;
  Word lower = 0;
  std::memcpy(&in, input + offset, sizeof(Word));
  std::memcpy(&mask, key.mask + offset, sizeof(Word));
  std::memcpy(&lower, key.lower + offset, sizeof(Word));
  return static_cast<Word>(in | mask) == lower;
}

// `name` has key.length (2 or more) octets: compared a word at a time, the
// last word overlapping the one before it.
bool keyEquals(std::string_view name, const Key& key) {
  const size_t n = name.size();
  const char* p = name.data();
  if (n < 4) {
    return wordEquals<uint16_t>(p, key, 0) && wordEquals<uint16_t>(p, key, n - 2);
  }
  if (n < 8) {
    return wordEquals<uint32_t>(p, key, 0) && wordEquals<uint32_t>(p, key, n - 4);
  }
  for (size_t offset = 0; offset + 8 <= n; offset += 8) {
    if (!wordEquals<uint64_t>(p, key, offset)) {
      return false;
    }
  }
  return n % 8 == 0 || wordEquals<uint64_t>(p, key, n - 8);
}

// Compact forms: RFC 3261 §7.3.3 plus RFC 3515 (r), 3892 (b), 4028 (x), 6665 (o, u).
// a, j, d, y, n name headers we do not index, so they stay Other.
HeaderName compactName(char c) {
  switch (asciiLower(c)) {
    case 'b': return HeaderName::ReferredBy;
    case 'c': return HeaderName::ContentType;
    case 'e': return HeaderName::ContentEncoding;
    case 'f': return HeaderName::From;
    case 'i': return HeaderName::CallId;
    case 'k': return HeaderName::Supported;
    case 'l': return HeaderName::ContentLength;
    case 'm': return HeaderName::Contact;
    case 'o': return HeaderName::Event;
    case 'r': return HeaderName::ReferTo;
    case 's': return HeaderName::Subject;
    case 't': return HeaderName::To;
    case 'u': return HeaderName::AllowEvents;
    case 'v': return HeaderName::Via;
    case 'x': return HeaderName::SessionExpires;
    default: return HeaderName::Other;
  }
}

}  // namespace

HeaderName lookupHeaderName(std::string_view name) {
  const size_t len = name.size();
  if (len == 1) {
    return compactName(name[0]);
  }
  if (len == 0 || len > kMaxNameLength) {
    return HeaderName::Other;
  }
  for (size_t slot = slotOf(name);; slot = (slot + 1) & (kSlots - 1)) {
    if (kTable[slot] == kEmpty) {
      return HeaderName::Other;
    }
    const Key& key = kKeys[kTable[slot]];
    if (key.length == len && keyEquals(name, key)) {
      return key.id;
    }
  }
}

std::string_view canonicalHeaderName(HeaderName name) {
  const auto index = static_cast<size_t>(name);
  if (index == 0 || index > kCanonical.size()) {
    return {};
  }
  return kCanonical[index - 1].name;
}

}  // namespace proxy::sip

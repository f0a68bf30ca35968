// SPDX-License-Identifier: Apache-2.0
// Header-name table: one constexpr array sorted by name length, bucketed so a
// lookup compares against the few names of the same length only, eight octets
// at a time.
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

// Keys sorted by length; kBucket[n] .. kBucket[n + 1] holds the names of length n.
constexpr auto kByLength = [] {
  auto sorted = kCanonical;
  std::sort(sorted.begin(), sorted.end(),
            [](const Entry& a, const Entry& b) { return a.name.size() < b.name.size(); });
  std::array<Key, kCanonical.size()> keys{};
  for (size_t i = 0; i < sorted.size(); ++i) {
    keys[i] = makeKey(sorted[i]);
  }
  return keys;
}();

constexpr auto kBucket = [] {
  std::array<uint8_t, kMaxNameLength + 2> bucket{};
  size_t i = 0;
  for (size_t len = 0; len <= kMaxNameLength + 1; ++len) {
    while (i < kByLength.size() && kByLength[i].length < len) {
      ++i;
    }
    bucket[len] = static_cast<uint8_t>(i);
  }
  return bucket;
}();

static_assert(kByLength.back().length == kMaxNameLength);

bool chunkEquals(const char* input, const Key& key, size_t offset) {
  uint64_t in = 0;
  uint64_t mask = 0;
  uint64_t lower = 0;
  std::memcpy(&in, input + offset, 8);
  std::memcpy(&mask, key.mask + offset, 8);
  std::memcpy(&lower, key.lower + offset, 8);
  return (in | mask) == lower;
}

// `name` has key.length octets. Eight at a time, the last chunk overlapping.
bool keyEquals(std::string_view name, const Key& key) {
  const size_t n = name.size();
  if (n < 8) {
    for (size_t i = 0; i < n; ++i) {
      if (static_cast<char>(name[i] | key.mask[i]) != key.lower[i]) {
        return false;
      }
    }
    return true;
  }
  for (size_t offset = 0; offset + 8 <= n; offset += 8) {
    if (!chunkEquals(name.data(), key, offset)) {
      return false;
    }
  }
  return n % 8 == 0 || chunkEquals(name.data(), key, n - 8);
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
  for (size_t i = kBucket[len]; i < kBucket[len + 1]; ++i) {
    const Key& key = kByLength[i];
    if (static_cast<char>(name[0] | key.mask[0]) == key.lower[0] && keyEquals(name, key)) {
      return key.id;
    }
  }
  return HeaderName::Other;
}

std::string_view canonicalHeaderName(HeaderName name) {
  const auto index = static_cast<size_t>(name);
  if (index == 0 || index > kCanonical.size()) {
    return {};
  }
  return kCanonical[index - 1].name;
}

// Only the headers a proxy edits per value. Option-tag lists (Require,
// Supported, Allow, ...) stay whole; SipMessage::tokens() splits them on demand.
bool isListHeader(HeaderName name) {
  switch (name) {
    case HeaderName::Via:
    case HeaderName::Route:
    case HeaderName::RecordRoute:
    case HeaderName::Contact:
    case HeaderName::Path:
      return true;
    default:
      return false;
  }
}

}  // namespace proxy::sip

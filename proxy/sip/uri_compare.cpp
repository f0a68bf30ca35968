// SPDX-License-Identifier: Apache-2.0
// URI comparison, RFC 3261 §19.1.4. Compares without allocating: escapes are
// decoded on the fly by detail::unescapedEquals.
#include "proxy/base/strings.h"
#include "proxy/sip/grammar.h"
#include "proxy/sip/uri.h"

namespace proxy::sip {
namespace {

using detail::unescapedEquals;

const Param* findUnescaped(std::span<const Param> params, std::string_view name) {
  for (const Param& p : params) {
    if (unescapedEquals(p.name, name, true)) {
      return &p;
    }
  }
  return nullptr;
}

// Parameters that must be present in both URIs or in neither. RFC 3261 §19.1.4
// names user, ttl, method and maddr; its examples add transport
// ("sip:bob@biloxi.com" vs "sip:bob@biloxi.com;transport=udp" differ).
bool mustAppearInBoth(std::string_view name) {
  for (std::string_view special : {"user", "ttl", "method", "maddr", "transport"}) {
    if (unescapedEquals(name, special, true)) {
      return true;
    }
  }
  return false;
}

// Every parameter of `a` that also appears in `b` must match, and the special
// ones must not appear in `a` only. A repeated name (not allowed, but seen)
// counts by its first occurrence on both sides.
bool paramsCompatible(std::span<const Param> a, std::span<const Param> b) {
  for (const Param& p : a) {
    if (findUnescaped(a, p.name) != &p) {
      continue;
    }
    const Param* q = findUnescaped(b, p.name);
    if (q == nullptr) {
      if (mustAppearInBoth(p.name)) {
        return false;
      }
    } else if (p.has_value != q->has_value || !unescapedEquals(p.value, q->value, true)) {
      return false;
    }
  }
  return true;
}

// Splits "a=1&b=2" header components; calls fn(name, value) for each.
template <typename Fn>
bool forEachUriHeader(std::string_view headers, Fn fn) {
  while (!headers.empty()) {
    const size_t amp = headers.find('&');
    const std::string_view item = headers.substr(0, amp);
    const size_t eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
    if (!fn(name, value)) {
      return false;
    }
    headers = amp == std::string_view::npos ? std::string_view() : headers.substr(amp + 1);
  }
  return true;
}

bool containsHeader(std::string_view headers, std::string_view name, std::string_view value) {
  bool found = false;
  forEachUriHeader(headers, [&](std::string_view other_name, std::string_view other_value) {
    found = unescapedEquals(name, other_name, true) && unescapedEquals(value, other_value, false);
    return !found;  // stop at the first match
  });
  return found;
}

// Every header of `a` must be in `b` with an equal value (order does not matter).
bool headersContained(std::string_view a, std::string_view b) {
  return forEachUriHeader(a, [b](std::string_view name, std::string_view value) {
    return containsHeader(b, name, value);
  });
}

}  // namespace

bool Uri::equivalent(const Uri& other) const {
  if (!iequals(scheme_, other.scheme_)) {
    return false;
  }
  if (!isSip()) {
    return opaque_ == other.opaque_;
  }
  // userinfo is case-sensitive; escaped and unescaped forms are equal.
  if (!unescapedEquals(user_, other.user_, false) ||
      !unescapedEquals(password_, other.password_, false)) {
    return false;
  }
  if (!iequals(host_, other.host_) || port_ != other.port_) {
    return false;  // an omitted port never matches an explicit 5060
  }
  if (!paramsCompatible(paramList(), other.paramList()) ||
      !paramsCompatible(other.paramList(), paramList())) {
    return false;
  }
  // Header components are never ignored: same set on both sides.
  return headersContained(headers_, other.headers_) && headersContained(other.headers_, headers_);
}

}  // namespace proxy::sip

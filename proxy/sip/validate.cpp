// SPDX-License-Identifier: Apache-2.0
// One small function per check; validateRequest() runs them in order and stops
// at the first failure.
#include "proxy/sip/validate.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "proxy/base/strings.h"

namespace proxy::sip {
namespace {

constexpr uint32_t kMaxCSeq = 0x7fffffff;  // RFC 3261 §8.1.1.5: less than 2**31
constexpr uint32_t kMaxMaxForwards = 255;  // RFC 3261 §20.22

Error withName(int status, std::string_view what, HeaderName name) {
  std::string detail(what);
  detail.append(canonicalHeaderName(name));
  return makeError(status, std::move(detail));
}

Error withDetail(int status, std::string_view what, const Error& cause) {
  std::string detail(what);
  detail.append(": ").append(cause.detail);
  return makeError(status, std::move(detail));
}

// How often each known header occurs, from one pass over the fields.
struct HeaderCounts {
  std::array<uint16_t, static_cast<size_t>(HeaderName::Count_)> n{};
  explicit HeaderCounts(const SipMessage& msg) {
    for (const HeaderField& f : msg.fields()) {
      uint16_t& c = n[static_cast<size_t>(f.id)];
      c = c == UINT16_MAX ? c : static_cast<uint16_t>(c + 1);
    }
  }
  uint16_t operator[](HeaderName name) const { return n[static_cast<size_t>(name)]; }
};

// RFC 3261 §8.1.1: To, From, CSeq, Call-ID, Max-Forwards and Via are mandatory;
// Max-Forwards is not checked, so RFC 2543 peers still work (RFC 4475 inv2543).
Result<void> checkRequired(const HeaderCounts& counts, int status) {
  for (HeaderName name :
       {HeaderName::Via, HeaderName::CallId, HeaderName::CSeq, HeaderName::From, HeaderName::To}) {
    if (counts[name] == 0) {
      return withName(status, "Missing ", name);  // RFC 4475 insuf
    }
  }
  return {};
}

// Header fields whose grammar allows one value (RFC 3261 §7.3.1; RFC 4475 multi01).
Result<void> checkSingleValued(const HeaderCounts& counts) {
  for (HeaderName name : {HeaderName::To, HeaderName::From, HeaderName::CallId, HeaderName::CSeq,
                          HeaderName::MaxForwards, HeaderName::ContentLength,
                          HeaderName::ContentType, HeaderName::Expires}) {
    if (counts[name] > 1) {
      return withName(400, "Multiple values in ", name);
    }
  }
  return {};
}

// CSeq parses, its number is below 2**31 and its method is the request's
// (RFC 3261 §8.1.1.5, §12.2.1.1; RFC 4475 scalar02, mismatch01, mismatch02).
Result<void> checkCSeq(const SipMessage& msg) {
  auto cseq = msg.cseq();
  if (!cseq) {
    return withDetail(400, "Malformed CSeq", cseq.error());
  }
  if (cseq->number > kMaxCSeq) {
    return makeError(400, "CSeq number out of range");
  }
  if (cseq->method != msg.methodText()) {
    // An unknown method cannot be processed anyway: 501 is the better answer.
    return msg.method() == Method::Unknown ? makeError(501, "Not Implemented")
                                           : makeError(400, "CSeq method does not match request");
  }
  return {};
}

// sip, sips and tel are ours; other schemes get 416 (RFC 3261 §8.2.2.1, RFC 4475
// unkscm, novelsc). URI headers are not allowed in a Request-URI (§19.1.1 table 1,
// RFC 4475 escruri).
Result<void> checkRequestUri(const SipMessage& msg) {
  auto uri = Uri::parse(msg.requestUri());
  if (!uri) {
    return withDetail(400, "Malformed Request-URI", uri.error());
  }
  if (uri->isSip()) {
    if (!uri->headers().empty()) {
      return makeError(400, "Headers not allowed in Request-URI");
    }
    return {};
  }
  if (iequals(uri->scheme(), "tel")) {
    return {};
  }
  return makeError(416, "Unsupported URI Scheme");
}

// From and To must parse (RFC 4475 quotbal, baddn, badaspec). Their scheme is
// not checked here: a proxy routes on the Request-URI (RFC 4475 unksm2).
Result<void> checkAddresses(const SipMessage& msg, int status) {
  if (const auto& from = msg.from(); !from) {
    return withDetail(status, "Malformed From", from.error());
  }
  if (const auto& to = msg.to(); !to) {
    return withDetail(status, "Malformed To", to.error());
  }
  return {};
}

// The top Via must parse; a branch that is only the RFC 3261 magic cookie
// cannot identify a transaction (§8.1.1.7, RFC 4475 badbranch).
Result<void> checkTopVia(const SipMessage& msg, int status) {
  const auto& via = msg.topVia();
  if (!via) {
    return withDetail(status, "Malformed Via", via.error());
  }
  if (via->branch() == "z9hG4bK") {
    return makeError(status, "Via branch has no transaction identifier");
  }
  return {};
}

// Max-Forwards is 0-255 and Expires a 32-bit decimal (RFC 3261 §20.22, §20.19;
// RFC 4475 scalar02).
Result<void> checkScalars(const SipMessage& msg, const HeaderCounts& counts) {
  if (counts[HeaderName::MaxForwards] > 0) {
    auto hops = msg.maxForwards();
    if (!hops || *hops > kMaxMaxForwards) {
      return makeError(400, "Malformed Max-Forwards");
    }
  }
  if (counts[HeaderName::Expires] > 0 && !msg.expires()) {
    return makeError(400, "Malformed Expires");
  }
  return {};
}

// Every Contact value parses (RFC 4475 regbadct, badinv01).
Result<void> checkContacts(const SipMessage& msg, const HeaderCounts& counts) {
  if (counts[HeaderName::Contact] == 0) {
    return {};
  }
  for (const HeaderField& f : msg.fields()) {
    if (f.id != HeaderName::Contact) {
      continue;
    }
    if (auto contact = NameAddr::parse(f.value); !contact) {
      return withDetail(400, "Malformed Contact", contact.error());
    }
  }
  return {};
}

}  // namespace

Result<void> validateRequest(const SipMessage& request) {
  if (!request.isRequest()) {
    return makeError(0, "Not a request");
  }
  const HeaderCounts counts(request);
  if (auto r = checkRequired(counts, 400); !r) {
    return r;
  }
  if (auto r = checkSingleValued(counts); !r) {
    return r;
  }
  if (auto r = checkCSeq(request); !r) {
    return r;
  }
  if (auto r = checkRequestUri(request); !r) {
    return r;
  }
  if (auto r = checkAddresses(request, 400); !r) {
    return r;
  }
  if (auto r = checkTopVia(request, 400); !r) {
    return r;
  }
  if (auto r = checkScalars(request, counts); !r) {
    return r;
  }
  return checkContacts(request, counts);
}

Result<void> validateResponse(const SipMessage& response) {
  if (!response.isResponse()) {
    return makeError(0, "Not a response");
  }
  if (auto r = checkRequired(HeaderCounts(response), 0); !r) {
    return r;
  }
  if (auto cseq = response.cseq(); !cseq) {
    return withDetail(0, "Malformed CSeq", cseq.error());
  }
  if (auto r = checkAddresses(response, 0); !r) {
    return r;
  }
  const auto& via = response.topVia();
  if (!via) {
    return withDetail(0, "Malformed Via", via.error());
  }
  return {};
}

std::vector<std::string_view> unsupportedRequires(
    const SipMessage& request, std::initializer_list<std::string_view> supported) {
  return unsupportedRequires(
      request, std::span<const std::string_view>(supported.begin(), supported.size()));
}

std::vector<std::string_view> unsupportedRequires(const SipMessage& request,
                                                  std::span<const std::string_view> supported) {
  std::vector<std::string_view> out;
  // Require and Proxy-Require are ignored in CANCEL and ACK (RFC 3261 §8.2.2.3).
  if (request.method() == Method::Ack || request.method() == Method::Cancel) {
    return out;
  }
  auto known = [](auto& list, std::string_view tag) {
    return std::any_of(list.begin(), list.end(),
                       [tag](std::string_view s) { return iequals(s, tag); });
  };
  for (HeaderName name : {HeaderName::Require, HeaderName::ProxyRequire}) {
    for (std::string_view tag : request.tokens(name)) {
      if (!known(supported, tag) && !known(out, tag)) {
        out.push_back(tag);
      }
    }
  }
  return out;
}

}  // namespace proxy::sip

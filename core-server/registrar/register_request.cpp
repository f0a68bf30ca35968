// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/register_request.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include "proxy/base/strings.h"

namespace core::registrar {
namespace {

namespace sip = proxy::sip;
using proxy::makeError;

constexpr uint32_t kMaxDelta = std::numeric_limits<uint32_t>::max();

// delta-seconds; RFC 3261 §20.19: a value above 2^32-1 is taken as 2^32-1.
std::optional<uint32_t> parseDelta(std::string_view s) {
  s = proxy::trim(s);
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  auto v = proxy::parseUnsigned<uint64_t>(s);
  return (!v || *v > kMaxDelta) ? kMaxDelta : static_cast<uint32_t>(*v);
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )   (RFC 3261 §25.1)
std::optional<int32_t> parseQ(std::string_view s) {
  if (s.empty() || (s[0] != '0' && s[0] != '1')) {
    return std::nullopt;
  }
  int32_t q = (s[0] - '0') * 1000;
  if (s.size() == 1) {
    return q;
  }
  if (s[1] != '.' || s.size() > 5) {
    return std::nullopt;
  }
  int32_t scale = 100;
  for (char c : s.substr(2)) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    q += (c - '0') * scale;
    scale /= 10;
  }
  return q <= 1000 ? std::optional<int32_t>(q) : std::nullopt;
}

bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  // token chars (RFC 3261 §25.1) plus ':' '[' ']' for host values (gen-value).
  return std::string_view("-.!%*_+`'~:[]").find(c) != std::string_view::npos;
}

// `host` lowercased; copied into `storage` only when it has an uppercase letter.
std::string_view lowerHost(std::string_view host, std::string& storage) {
  if (std::none_of(host.begin(), host.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return host;
  }
  storage = proxy::toLower(host);
  return storage;
}

// The expiry the request asks for this contact, before limits (RFC 3261 §10.3 step 7).
proxy::Result<uint32_t> requestedExpiry(const sip::NameAddr& contact,
                                        std::optional<uint32_t> header, uint32_t fallback) {
  if (const sip::Param* p = contact.param("expires")) {
    auto v = parseDelta(proxy::unquoted(p->value));
    if (!v) {
      return makeError(400, "Bad expires parameter in Contact");
    }
    return *v;
  }
  return header.value_or(fallback);
}

proxy::Result<ContactSpec> parseContact(const sip::NameAddr& contact,
                                        std::optional<uint32_t> header,
                                        const ExpiryLimits& limits) {
  ContactSpec spec;
  spec.uri = contact.uriText();
  for (const sip::Param& p : contact.paramList()) {
    if (proxy::iequals(p.name, "expires")) {
      continue;
    }
    if (proxy::iequals(p.name, "q")) {
      auto q = parseQ(proxy::unquoted(p.value));
      if (!q) {
        return makeError(400, "Bad q value in Contact");
      }
      spec.q1000 = *q;
    } else if (proxy::iequals(p.name, "+sip.instance")) {
      spec.instance = proxy::unquoted(p.value);
    } else {
      spec.params += spec.params.empty() ? "" : ";";
      spec.params += renderParam(p.name, p.value, p.has_value, p.quoted);
    }
  }
  auto expiry = requestedExpiry(contact, header, limits.default_expires);
  if (!expiry) {
    return expiry.error();
  }
  if (*expiry > 0 && *expiry < limits.min_expires) {
    return makeError(423, "Interval Too Brief");  // RFC 3261 §10.3 step 7
  }
  spec.expires = std::min(*expiry, limits.max_expires);
  return spec;
}

}  // namespace

std::string renderParam(std::string_view name, std::string_view value, bool has_value,
                        bool quoted) {
  std::string out(name);
  if (!has_value) {
    return out;
  }
  out += '=';
  if (quoted) {
    out += '"';
    out += value;
    out += '"';
    return out;
  }
  if (!value.empty() && std::all_of(value.begin(), value.end(), isTokenChar)) {
    out += value;
    return out;
  }
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
  return out;
}

proxy::Result<std::string> registerAor(const sip::SipMessage& req,
                                       const std::function<bool(std::string_view)>& is_local) {
  if (auto target = checkRegisterTarget(req, is_local); !target) {
    return target.error();
  }
  return canonicalAor(req.to()->uri());
}

proxy::Result<void> checkRegisterTarget(const sip::SipMessage& req,
                                        const std::function<bool(std::string_view)>& is_local) {
  auto ruri = sip::Uri::parse(req.requestUri());
  if (!ruri) {
    return makeError(400, "Bad Request-URI");
  }
  if (!ruri->isSip()) {
    return makeError(416, "Unsupported URI Scheme");
  }
  std::string lowered;
  if (!is_local || !is_local(lowerHost(ruri->host(), lowered))) {
    return makeError(404, "Not Found");  // RFC 3261 §10.3 step 1: not a domain of ours
  }
  const auto& to = req.to();
  if (!to) {
    return makeError(400, "Bad To header");
  }
  if (!to->uri().isSip()) {
    return makeError(400, "To must be a SIP URI");  // RFC 4475 §3.3.4 (unksm2)
  }
  // Nearly always the Request-URI's host, found local just above.
  const std::string_view to_host = to->uri().host();
  if (to_host != ruri->host() && !is_local(lowerHost(to_host, lowered))) {
    return makeError(404, "Not Found");  // RFC 3261 §10.3 step 5
  }
  return {};
}

std::string canonicalAor(const sip::Uri& uri) {
  std::string aor = uri.aor();
  for (char& c : aor) {  // in place: toLower() would copy it once more
    c = proxy::asciiLower(c);
  }
  return aor;
}

proxy::Result<RegisterRequest> parseRegister(const sip::SipMessage& req, std::string aor,
                                             const ExpiryLimits& limits) {
  RegisterRequest out;
  out.aor = std::move(aor);
  out.call_id = proxy::trim(req.callId());
  auto cseq = req.cseq();
  if (out.call_id.empty() || !cseq) {
    return makeError(400, out.call_id.empty() ? "Missing Call-ID" : "Bad CSeq");
  }
  out.cseq = cseq->number;
  out.user_agent = req.header(sip::HeaderName::UserAgent);
  std::optional<uint32_t> header;
  if (req.has(sip::HeaderName::Expires)) {
    header = parseDelta(req.header(sip::HeaderName::Expires));
    if (!header) {
      return makeError(400, "Bad Expires header");
    }
  }
  const size_t contact_count = req.count(sip::HeaderName::Contact);
  out.contacts.reserve(contact_count);
  for (const sip::HeaderField& field : req.fields()) {  // no vector of values per REGISTER
    if (field.id != sip::HeaderName::Contact) {
      continue;
    }
    auto contact = sip::NameAddr::parse(field.value);
    if (!contact) {
      return makeError(400, "Bad Contact");
    }
    if (contact->isWildcard()) {
      // RFC 3261 §10.3 step 6: "*" only alone and with Expires: 0.
      if (contact_count != 1 || header != 0u) {
        return makeError(400, "Contact * needs Expires: 0 and no other Contact");
      }
      out.wildcard = true;
      return out;
    }
    auto spec = parseContact(*contact, header, limits);
    if (!spec) {
      return spec.error();
    }
    out.contacts.push_back(std::move(*spec));
  }
  return out;
}

}  // namespace core::registrar

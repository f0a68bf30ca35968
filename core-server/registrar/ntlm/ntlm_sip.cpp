// SPDX-License-Identifier: Apache-2.0
#include "core-server/registrar/ntlm/ntlm_sip.h"

#include "proxy/base/strings.h"

namespace core::registrar::ntlm {
namespace {

using proxy::iequals;
using proxy::trim;

// Splits one `name=value` or `name="value"` off the front of `rest`; false on
// broken syntax. Quoted values keep their escapes (NTLM values never have any).
bool nextParam(std::string_view& rest, std::string_view& name, std::string_view& value) {
  rest = trim(rest);
  size_t eq = rest.find('=');
  if (eq == std::string_view::npos) {
    return false;
  }
  name = trim(rest.substr(0, eq));
  rest = trim(rest.substr(eq + 1));
  if (!rest.empty() && rest.front() == '"') {
    size_t close = 1;
    while (close < rest.size() && rest[close] != '"') {
      close += rest[close] == '\\' ? 2 : 1;
    }
    if (close >= rest.size()) {
      return false;
    }
    value = rest.substr(1, close - 1);
    rest = trim(rest.substr(close + 1));
  } else {
    size_t comma = rest.find(',');
    value = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma);
  }
  if (!rest.empty()) {
    if (rest.front() != ',') {
      return false;
    }
    rest.remove_prefix(1);
  }
  return !name.empty();
}

// The `uri` inside one P-Asserted-Identity value list, by scheme.
void assertedIdentities(std::string_view header, SignedFields& fields) {
  while (!header.empty()) {
    size_t open = header.find('<');
    size_t close = open == std::string_view::npos ? open : header.find('>', open);
    if (close == std::string_view::npos) {
      return;
    }
    std::string_view uri = header.substr(open + 1, close - open - 1);
    if (uri.size() > 4 && iequals(uri.substr(0, 4), "tel:")) {
      fields.pai_tel_uri = uri;
    } else if (uri.size() > 4 &&
               (iequals(uri.substr(0, 4), "sip:") || iequals(uri.substr(0, 5), "sips:"))) {
      fields.pai_sip_uri = uri;
    }
    header.remove_prefix(close + 1);
  }
}

std::string_view tagOf(const proxy::Result<proxy::sip::NameAddr>& address) {
  return address ? address->tag() : std::string_view{};
}

}  // namespace

std::optional<NtlmCredentials> parseNtlmCredentials(std::string_view value) {
  value = trim(value);
  if (value.size() < 4 || !iequals(value.substr(0, 4), "NTLM") ||
      (value.size() > 4 && value[4] != ' ' && value[4] != '\t')) {
    return std::nullopt;
  }
  std::string_view rest = value.substr(4);
  NtlmCredentials c;
  std::string_view name, v;
  for (int guard = 0; !trim(rest).empty(); ++guard) {
    if (guard > 32 || !nextParam(rest, name, v)) {
      return std::nullopt;
    }
    if (iequals(name, "qop"))
      c.qop = v;
    else if (iequals(name, "realm"))
      c.realm = v;
    else if (iequals(name, "targetname"))
      c.targetname = v;
    else if (iequals(name, "opaque"))
      c.opaque = v;
    else if (iequals(name, "gssapi-data")) {
      c.gssapi_data = v;
      c.has_gssapi_data = true;
    } else if (iequals(name, "version"))
      c.version = v;
    else if (iequals(name, "crand"))
      c.crand = v;
    else if (iequals(name, "cnum"))
      c.cnum = v;
    else if (iequals(name, "response"))
      c.response = v;
  }
  return c;
}

std::optional<NtlmCredentials> findNtlmCredentials(const proxy::sip::SipMessage& message,
                                                   bool proxy) {
  using proxy::sip::HeaderName;
  for (std::string_view value :
       message.headers(proxy ? HeaderName::ProxyAuthorization : HeaderName::Authorization)) {
    if (auto credentials = parseNtlmCredentials(value)) {
      return credentials;
    }
  }
  return std::nullopt;
}

std::string_view addressUri(std::string_view header) {
  size_t open = header.find('<');
  if (open != std::string_view::npos) {
    size_t close = header.find('>', open);
    return close == std::string_view::npos ? std::string_view{}
                                           : header.substr(open + 1, close - open - 1);
  }
  return trim(header.substr(0, header.find(';')));
}

SignedFields signedFieldsOf(const proxy::sip::SipMessage& message) {
  using proxy::sip::HeaderName;
  SignedFields f;
  f.call_id = message.callId();
  std::string_view cseq = trim(message.header(HeaderName::CSeq));
  size_t space = cseq.find_first_of(" \t");
  f.cseq_number = cseq.substr(0, space);
  f.cseq_method = space == std::string_view::npos ? std::string_view{} : trim(cseq.substr(space));
  f.from_uri = addressUri(message.header(HeaderName::From));
  f.from_tag = tagOf(message.from());
  f.to_uri = addressUri(message.header(HeaderName::To));
  f.to_tag = tagOf(message.to());
  std::string_view asserted = message.header("P-Asserted-Identity");
  assertedIdentities(asserted.empty() ? message.header("P-Preferred-Identity") : asserted, f);
  f.expires = message.header(HeaderName::Expires);
  f.response_code = message.isResponse() ? message.statusCode() : 0;
  return f;
}

}  // namespace core::registrar::ntlm

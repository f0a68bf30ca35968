// SPDX-License-Identifier: Apache-2.0
// The SIP side of [MS-SIPAE] NTLM: reading the NTLM credentials of an
// Authorization / Proxy-Authorization header, and collecting from a message the
// fields its signature covers. Pure functions over parsed messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core-server/registrar/ntlm/ntlm_signature.h"
#include "proxy/sip/sip_message.h"

namespace core::registrar::ntlm {

// `NTLM qop="auth", realm="..", targetname="..", opaque="..", gssapi-data="..",
// version=4, crand="..", cnum="..", response=".."` (views into the header value).
struct NtlmCredentials {
  std::string_view qop, realm, targetname, opaque, gssapi_data, version, crand, cnum, response;
  bool has_gssapi_data = false;  // gssapi-data was present (possibly "")
  bool signed_message() const { return !crand.empty() && !cnum.empty() && !response.empty(); }
};

// nullopt when the value is not an NTLM credential or its parameter list is broken.
std::optional<NtlmCredentials> parseNtlmCredentials(std::string_view header_value);

// The first NTLM credential among the message's Authorization (or, with
// `proxy`, Proxy-Authorization) headers.
std::optional<NtlmCredentials> findNtlmCredentials(const proxy::sip::SipMessage& message,
                                                   bool proxy);

// What the signature of `message` covers ([MS-SIPAE] 3.2.5.2): views into it, valid
// while it lives. Responses carry their status code.
SignedFields signedFieldsOf(const proxy::sip::SipMessage& message);

// The text between "<" and ">" of the first value of `header`, else up to the
// first ';' (what [MS-SIPAE] signs for From/To URIs).
std::string_view addressUri(std::string_view header);

}  // namespace core::registrar::ntlm

// SPDX-License-Identifier: Apache-2.0
// The stateless half of REGISTER processing (RFC 3261 §10.3): which AOR the
// request is for, and what it asks of each Contact (URI, parameters, granted
// expiry). Everything here depends only on the request and the limits, so it
// runs before any binding is looked at. The results view the request's text
// (except the AOR and rendered params, which they own): keep the request alive
// while they are used. Moving it is fine, its text stays put (sip_message.h);
// the Registrar keeps both in one queue entry. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/sip/sip_message.h"

namespace core::registrar {

struct ExpiryLimits {
  uint32_t min_expires = 60;
  uint32_t max_expires = 3600;
  uint32_t default_expires = 3600;
};

struct ContactSpec {
  std::string_view uri;       // the Contact URI as written (inside <...> when bracketed)
  std::string_view instance;  // +sip.instance without quotes (RFC 5626 §4.1), or ""
  std::string params;         // the other contact params except expires and q, ';'-joined
  int32_t q1000 = 1000;
  uint32_t expires = 0;  // granted seconds after clamping; 0 removes the binding
};

struct RegisterRequest {
  std::string aor;                    // canonical To AOR
  bool wildcard = false;              // Contact: * (remove all)
  std::vector<ContactSpec> contacts;  // empty and !wildcard: a fetch
  std::string_view call_id;
  uint32_t cseq = 0;
  std::string_view user_agent;
};

// RFC 3261 §10.3 steps 1 and 5: the Request-URI must name one of our domains
// (404 otherwise), To must be a SIP or SIPS URI (400 "To must be a SIP URI",
// RFC 4475 §3.3.4) in one of our domains (404). `is_local` gets hosts
// lowercased, and must answer the same for the same host (a To host equal to
// the Request-URI's is not asked about again). Returns the canonical AOR: the
// To URI's unescaped user and host, lowercased.
proxy::Result<std::string> registerAor(const proxy::sip::SipMessage& req,
                                       const std::function<bool(std::string_view)>& is_local);
// The same checks without building the AOR.
proxy::Result<void> checkRegisterTarget(const proxy::sip::SipMessage& req,
                                        const std::function<bool(std::string_view)>& is_local);

// The key an AOR's bindings live under: the URI's unescaped user and host,
// lowercased.
std::string canonicalAor(const proxy::sip::Uri& uri);

// RFC 3261 §10.3 step 6 and the expiry part of step 7: parses every Contact.
// Errors: 400 (bad Contact, q or expires; `*` with other contacts or a non-zero
// Expires), 423 when a non-zero expiry is below min_expires (the caller adds
// Min-Expires). Expiries above max_expires are shortened.
proxy::Result<RegisterRequest> parseRegister(const proxy::sip::SipMessage& req, std::string aor,
                                             const ExpiryLimits& limits);

// Renders one parameter for re-emission. A value that was a quoted-string
// (`quoted`, escapes kept) is re-quoted as is; any other value that is not a
// token is quoted with '"' and '\\' escaped.
std::string renderParam(std::string_view name, std::string_view value, bool has_value,
                        bool quoted = false);

}  // namespace core::registrar

// SPDX-License-Identifier: Apache-2.0
// The SIP domain identities a certificate vouches for, per RFC 5922 §7.1:
// subjectAltName URIs of the form sip:domain, subjectAltName dNSNames, and the
// subject CN only when the certificate has no dNSName. Wildcard names are never
// identities (RFC 5922 §7.2). Used on verified peer certificates only; pure
// function, any thread.
#pragma once

#include <openssl/x509.h>

#include <string>
#include <vector>

namespace proxy::transport {

// Lowercased, deduplicated, in certificate order; empty when nothing qualifies.
std::vector<std::string> sipDomainIdentities(X509* certificate);

}  // namespace proxy::transport

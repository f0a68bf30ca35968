// SPDX-License-Identifier: Apache-2.0
// XCAP error documents (RFC 4825 §11, application/xcap-error+xml) for 409 answers:
//   <xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error">
//     <constraint-failure phrase="too many lists"/></xcap-error>
// Inside the XCAP code a conflict travels as a proxy::Error with status 409 whose detail
// is "<element>: <phrase>" (conflict()); errorDocument() turns it into the body.
#pragma once

#include <string>
#include <string_view>

#include "proxy/base/result.h"

namespace core::presence::xcap {

inline constexpr std::string_view kXcapErrorType = "application/xcap-error+xml";
inline constexpr std::string_view kXcapErrorNs = "urn:ietf:params:xml:ns:xcap-error";

// element: "not-well-formed", "not-xml-frag", "schema-validation-error",
// "uniqueness-failure", "constraint-failure", "no-parent", "cannot-insert", "cannot-delete".
proxy::Error conflict(std::string_view element, std::string_view phrase);

// The xcap-error document of a 409 made by conflict() (a 409 without an element prefix
// becomes constraint-failure).
std::string errorDocument(const proxy::Error& error);

}  // namespace core::presence::xcap

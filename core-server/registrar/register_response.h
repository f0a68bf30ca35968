// SPDX-License-Identifier: Apache-2.0
// Builds the Registrar's responses: the 200 OK listing the AOR's bindings
// (RFC 3261 §10.3 step 8), challenges, and errors with their extra headers
// (Min-Expires on 423). Every final response gets a To tag. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/registrar/binding.h"
#include "proxy/base/result.h"
#include "proxy/sip/sip_message.h"

namespace core::registrar {

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 3261 §20.17, rfc1123-date).
std::string httpDate(int64_t unix_s);

// `<uri>;params;+sip.instance="...";q=0.5;expires=N` with N the seconds left at `now`.
std::string renderContact(const Binding& binding, int64_t now);

// True for the REGISTER of an OCS/Lync-dialect client (pidgin-sipe, Communicator,
// Lync): it announces msrtc presence or ms-keep-alive. Such clients turn on enhanced
// presence only when the 200 OK answers in kind, and log on with NTLM, not digest.
bool isMicrosoftClient(const proxy::sip::SipMessage& req);

// 200 OK with one Contact per binding, Date, and Expires when `granted` is set
// (pidgin-sipe and others read only the header, not the contact's expires).
std::string buildRegisterOk(const proxy::sip::SipMessage& req,
                            const std::vector<const Binding*>& bindings,
                            std::optional<uint32_t> granted, int64_t now);

// 401 with one WWW-Authenticate per challenge.
std::string buildChallenge(const proxy::sip::SipMessage& req,
                           const std::vector<std::string>& challenges);

// An error response using error.status and error.detail as the reason; a 423
// carries Min-Expires: min_expires (RFC 3261 §10.3 step 7).
std::string buildRegisterError(const proxy::sip::SipMessage& req, const proxy::Error& error,
                               uint32_t min_expires);

}  // namespace core::registrar

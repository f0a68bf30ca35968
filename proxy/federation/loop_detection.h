// SPDX-License-Identifier: Apache-2.0
// Loop detection at the federation edge (RFC 3261 §16.3 step 4, §16.6 step 8).
// A request we send to a peer carries, in our Via, `lh=<hash>` of the fields
// that identify it as it left (Request-URI, Call-ID, From and To tags, CSeq).
// If it comes back with a Via of ours whose `lh` equals the hash of the request
// as it arrives now, nothing changed on the way round: a loop (482). A spiral
// (the peer retargeted it) hashes differently and is processed normally. The
// hash is a parameter next to the branch, so branch matching is unchanged.
#pragma once

#include <string>
#include <string_view>

#include "proxy/routing/local_addresses.h"
#include "proxy/sip/sip_message.h"

namespace proxy::federation {

inline constexpr std::string_view kLoopParam = "lh";

// 12 hex digits over the identifying fields of `request` as it is now.
std::string loopHash(const sip::SipMessage& request);

// ";lh=<hash>" for our Via on `request`.
std::string loopViaParams(const sip::SipMessage& request);

// True when a Via naming one of our listeners carries this request's loop hash.
bool isLooping(const sip::SipMessage& request, const routing::LocalAddresses& us);

}  // namespace proxy::federation

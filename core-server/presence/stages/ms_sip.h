// SPDX-License-Identifier: Apache-2.0
// SIP helpers shared by the parts of MsPresence (ms_presence.cpp,
// ms_presence_batch.cpp): option tags, AORs of our users, answers, and the dialog
// state of a SUBSCRIBE we terminate. Internal to core_presence_stages.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core-server/presence/service/subscription.h"
#include "proxy/base/result.h"
#include "proxy/routing/local_addresses.h"
#include "proxy/routing/request_context.h"

namespace core::presence::ms_sip {

// The request lists `tag` in a Supported header.
bool supports(const proxy::sip::SipMessage& request, std::string_view tag);
// "sip:Bob@Example.test" -> "bob@example.test" for users of our domains; "" otherwise.
std::string localAor(std::string_view uri_text, const proxy::routing::LocalAddresses& us);
// "example.test" of "bob@example.test".
std::string_view domainPart(std::string_view aor);
// Answers with the error's status and a printable reason.
void replyError(proxy::routing::RequestContext& ctx, const proxy::Error& error);
void replyWithBody(proxy::routing::RequestContext& ctx, int status, std::string_view content_type,
                   const std::string& body);
// The dialog of a SUBSCRIBE we terminate (as PresenceStage builds it); nullopt
// after answering 400.
std::optional<DialogState> dialogOf(proxy::routing::RequestContext& ctx, std::string_view user);
// The request's media type, lowercased, without parameters.
std::string contentTypeOf(const proxy::sip::SipMessage& request);

}  // namespace core::presence::ms_sip

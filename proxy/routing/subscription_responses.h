// SPDX-License-Identifier: Apache-2.0
// Answering a SUBSCRIBE that we terminate as the notifier (RFC 6665): reading
// the dialog it creates, checking its Expires, and the 2xx / error responses.
// Event-package neutral: presence, winfo, event lists and the conference focus
// all answer their subscriptions through these.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/routing/request_context.h"
#include "proxy/routing/shard_router.h"

namespace proxy::routing {

// The dialog fields a SUBSCRIBE sets up on the notifier's side (RFC 3261
// §12.1.1); the caller adds its own tag and Contact.
struct SubscriberDialog {
  std::string call_id;
  std::string remote_tag;              // the subscriber's From tag
  std::string local_uri;               // the To URI: the From of our NOTIFYs
  std::string remote_uri;              // the From URI: the To of our NOTIFYs
  std::string remote_target;           // the subscriber's Contact URI
  std::vector<std::string> route_set;  // the Record-Route values, in order
  std::string flow_token;              // the flow the SUBSCRIBE came in on
  uint32_t remote_cseq = 0;

  // Copies these fields into a package's own dialog struct (same member names).
  template <class Dialog>
  void moveInto(Dialog& d) && {
    d.call_id = std::move(call_id);
    d.remote_tag = std::move(remote_tag);
    d.local_uri = std::move(local_uri);
    d.remote_uri = std::move(remote_uri);
    d.remote_target = std::move(remote_target);
    d.route_set = std::move(route_set);
    d.flow_token = std::move(flow_token);
    d.remote_cseq = remote_cseq;
  }
};

// The dialog of a new SUBSCRIBE; nullopt after answering 400 (bad From, To,
// CSeq or Contact, or an Expires that is not a number).
std::optional<SubscriberDialog> subscriberDialogOf(RequestContext& ctx);

// An in-dialog request's Call-ID, our tag (its To tag), the peer's (its From tag)
// and CSeq: views into ctx.request. nullopt after answering 400.
struct InDialogIds {
  std::string_view call_id;
  std::string_view local_tag;
  std::string_view remote_tag;
  uint32_t cseq = 0;
};
std::optional<InDialogIds> inDialogIdsOf(RequestContext& ctx);

// Answers 400 "Bad Expires" when the request has an Expires that is not a number.
bool rejectedBadExpires(RequestContext& ctx);

// The new remote target of an in-dialog SUBSCRIBE: its Contact URI, "" when
// absent or a wildcard.
std::string refreshedTarget(const sip::SipMessage& request);

// Our Contact in a subscription dialog: `user` at the address the request came
// in on (the advertised one for wildcard listeners), with this shard's `sh=`.
std::string notifierContact(std::string_view user, const transport::Flow& flow,
                            const LocalAddresses& us, unsigned shard);

// An error answer to a SUBSCRIBE; a 423 carries Min-Expires (RFC 6665 §4.2.1.1).
void replySubscribeRefused(RequestContext& ctx, int status, std::string_view reason,
                           uint32_t min_expires);

// The 2xx to a SUBSCRIBE: our tag, Expires, Contact, `extra` headers and the
// subscriber's Record-Route (its route set, RFC 3261 §12.1.1).
void replySubscribeAccepted(RequestContext& ctx, int status, std::string_view reason,
                            std::string_view to_tag, uint32_t expires, std::string_view contact,
                            const HeaderList& extra = {});

}  // namespace proxy::routing

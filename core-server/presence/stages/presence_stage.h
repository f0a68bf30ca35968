// SPDX-License-Identifier: Apache-2.0
// The presence service on the SIP edge: PUBLISH (RFC 3903) and SUBSCRIBE
// (RFC 6665 / RFC 3856) for presentities in our domains, and in-dialog
// SUBSCRIBEs of the subscriptions we hold (found by Call-ID and tags; 481 when
// unknown, so they never reach the location stage). Placed after the
// request-auth stage (ctx->authenticated_aor is the publisher / watcher) and
// before the location stage. Everything else continues.
#pragma once

#include <string>

#include "core-server/presence/service/presence_service.h"
#include "core-server/registrar/user_directory.h"
#include "proxy/routing/local_addresses.h"
#include "proxy/routing/stage.h"

namespace core::presence {

class PresenceStage final : public proxy::routing::Stage {
 public:
  PresenceStage(PresenceService& service, const registrar::UserDirectory& users, std::string realm)
      : service_(service), users_(users), realm_(std::move(realm)) {}
  std::string_view name() const override {
    return "presence: PUBLISH / SUBSCRIBE for local presentities";
  }
  proxy::routing::Verdict onRequest(proxy::routing::ContextPtr& ctx) override;

 private:
  proxy::routing::Verdict onPublish(proxy::routing::RequestContext& ctx, const std::string& aor);
  proxy::routing::Verdict onSubscribe(proxy::routing::RequestContext& ctx, const std::string& aor,
                                      std::string_view user);
  proxy::routing::Verdict onInDialogSubscribe(proxy::routing::RequestContext& ctx);
  void replySubscribe(proxy::routing::RequestContext& ctx, const SubscribeResult& result,
                      std::string_view contact);

  PresenceService& service_;
  const registrar::UserDirectory& users_;
  std::string realm_;
};

// "presence" and "abc" of "Presence;id=abc" (package lowercased).
struct EventHeader {
  std::string package;
  std::string id;
};
EventHeader parseEvent(std::string_view value);

// "application/pidf+xml" of "application/pidf+xml; charset=UTF-8".
std::string_view mediaType(std::string_view value);

// The identity a request speaks for: the digest user when it authenticated,
// else the From (the request-auth stage let it through: trusted, or auth off).
std::string requesterAor(const proxy::routing::RequestContext& ctx);

// Our Contact for a dialog we terminate on `shard`, reached over `flow`:
// "<sip:USER@HOST:PORT;transport=T;sh=N>" (see ShardRouter::kShardParam).
std::string dialogContact(std::string_view user, const proxy::transport::Flow& flow,
                          const proxy::routing::LocalAddresses& us, unsigned shard);

}  // namespace core::presence

// SPDX-License-Identifier: Apache-2.0
// SUBSCRIBEs to the conference event package (RFC 4575) of a multiparty
// conversation: out of dialog to the focus URI (im-conf-<id>@domain), and
// refreshes inside the subscription dialog (Request-URI = our Contact, whose
// user is the focus id and whose `sh=` brings it to the focus's shard). Placed
// before the presence stages, which would answer 404/481 for these. Everything
// else continues. The subscriptions themselves live in the Focus.
#pragma once

#include "core-server/im/stages/focus.h"
#include "core-server/im/stages/im_service.h"
#include "proxy/routing/shard_router.h"
#include "proxy/routing/stage.h"

namespace core::im {

class ConferenceSubscribeStage final : public proxy::routing::Stage {
 public:
  explicit ConferenceSubscribeStage(ImService& service) : service_(service) {}
  std::string_view name() const override { return "im: conference event subscriptions"; }
  proxy::routing::Verdict onRequest(proxy::routing::ContextPtr& ctx) override;

 private:
  proxy::routing::Verdict onSubscribe(proxy::routing::RequestContext& ctx,
                                      const std::string& focus_aor);
  proxy::routing::Verdict onRefresh(proxy::routing::RequestContext& ctx);
  // 2xx with our tag, Expires and Contact; then the NOTIFY the SUBSCRIBE is owed.
  void accept(proxy::routing::RequestContext& ctx, const Focus::SubscribeResult& result);

  ImService& service_;
};

// The Focus's NotifySender over `router`: a client transaction on the flow the
// SUBSCRIBE came in on (watchers like baresip over TCP listen on no port).
Focus::NotifySender conferenceNotifySender(proxy::routing::ShardRouter& router);

}  // namespace core::im

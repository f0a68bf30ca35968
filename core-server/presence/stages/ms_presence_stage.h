// SPDX-License-Identifier: Apache-2.0
// The OCS/Lync side of presence on the SIP edge, before PresenceStage: requests
// a client sends to its own URI are for us, never for its registrations
// (SIGNIN.md items 3, 7, 8): the self SUBSCRIBEs (roaming-contacts,
// roaming-self, provisioning-v2, presence.wpending), the batched category
// SUBSCRIBE (Event: presence with a batchSub body) and SERVICE; plus in-dialog
// SUBSCRIBEs of the dialogs MsPresence holds. Everything else continues.
// Being the first presence stage, it also refuses new PUBLISH / SUBSCRIBE / SERVICE
// with 503 + Retry-After while the server is overloaded (proxy/routing/overload.h).
#pragma once

#include "core-server/presence/stages/ms_presence.h"
#include "core-server/registrar/user_directory.h"
#include "proxy/routing/stage.h"

namespace core::presence {

class MsPresenceStage final : public proxy::routing::Stage {
 public:
  MsPresenceStage(MsPresence& ms, const registrar::UserDirectory& users, std::string realm)
      : ms_(ms), users_(users), realm_(std::move(realm)) {}
  std::string_view name() const override {
    return "ms-presence: self subscriptions, SERVICE, batched category SUBSCRIBE";
  }
  proxy::routing::Verdict onRequest(proxy::routing::ContextPtr& ctx) override;

 private:
  MsPresence& ms_;
  const registrar::UserDirectory& users_;
  std::string realm_;
};

// True for the events a client subscribes to on itself (answered by MsPresence).
bool isMsSelfEvent(std::string_view package);

}  // namespace core::presence

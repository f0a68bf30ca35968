// SPDX-License-Identifier: Apache-2.0
// The IM service on the SIP edge. Placed after the request-auth stage and
// before the location stage: requests inside our bridged sessions (Request-URI
// user kBridgeUser, 481 when unknown) go to the bridge; page-mode MESSAGEs to
// a known local user go to the IM service, which continues the pipeline for
// the plain relay and takes over for offline storage (instead of the 480) and
// session-mode endpoints. Everything else continues.
#pragma once

#include <string>

#include "core-server/im/stages/im_service.h"
#include "core-server/registrar/user_directory.h"
#include "proxy/routing/stage.h"

namespace core::im {

class ImStage final : public proxy::routing::Stage {
 public:
  ImStage(ImService& service, const registrar::UserDirectory& users, std::string realm)
      : service_(service), users_(users), realm_(std::move(realm)) {}
  std::string_view name() const override { return "im: offline store, page <-> session bridge"; }
  proxy::routing::Verdict onRequest(proxy::routing::ContextPtr& ctx) override;

 private:
  ImService& service_;
  const registrar::UserDirectory& users_;
  std::string realm_;
};

}  // namespace core::im

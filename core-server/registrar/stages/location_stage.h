// SPDX-License-Identifier: Apache-2.0
// Turns a Request-URI in one of our domains into targets: every live binding
// of that AOR, with the flow it registered over (RFC 3261 §16.5; the flow, not
// the Contact host, because many clients listen on no port). No binding: 480
// for a user we know, 404 for one we do not.
#pragma once

#include "core-server/registrar/location_service.h"
#include "core-server/registrar/user_directory.h"
#include "proxy/routing/stage.h"

namespace core::registrar {

class LocationStage final : public proxy::routing::Stage {
 public:
  LocationStage(const LocationService& location, const UserDirectory& users, std::string realm)
      : location_(location), users_(users), realm_(std::move(realm)) {}
  std::string_view name() const override { return "location: bindings of local AORs"; }
  proxy::routing::Verdict onRequest(proxy::routing::ContextPtr& ctx) override;

 private:
  const LocationService& location_;
  const UserDirectory& users_;
  std::string realm_;
};

}  // namespace core::registrar

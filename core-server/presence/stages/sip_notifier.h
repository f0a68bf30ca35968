// SPDX-License-Identifier: Apache-2.0
// Turns the presence service's NotifyMessages into SIP NOTIFY requests (RFC 6665
// §4.2.2) sent as client transactions of the shard's transaction layer, and
// reports each final response back to the service. The request goes over the
// flow the SUBSCRIBE came in on: many watchers (baresip over TCP, pidgin-sipe)
// listen on no port, so their own connection is the only way to reach them.
#pragma once

#include <memory>

#include "core-server/presence/service/presence_service.h"
#include "proxy/routing/shard_router.h"

namespace core::presence {

class SipNotifier final : public NotifySink {
 public:
  explicit SipNotifier(proxy::routing::ShardRouter& router);
  ~SipNotifier() override;
  // The service to report NOTIFY results to (built after the notifier).
  void attach(PresenceService* service) { *service_ = service; }
  void sendNotify(const NotifyMessage& message) override;

 private:
  void reportLater(SubscriptionId id, uint32_t cseq, int status);

  proxy::routing::ShardRouter& router_;
  // Shared with pending callbacks, which may outlive us during shutdown.
  std::shared_ptr<PresenceService*> service_;
};

// The NOTIFY request text, without a Via (the transaction layer adds it).
std::string buildNotify(const NotifyMessage& message, std::string_view user_agent);

}  // namespace core::presence

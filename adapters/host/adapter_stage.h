// SPDX-License-Identifier: Apache-2.0
// Requests to adapter plugin identities. Placed after the request-auth stage and
// before the IM stage: an out-of-dialog MESSAGE to an identity of a plugin is
// queued to that plugin and answered with the status it gives (answer_message),
// 408 when it does not answer within call_timeout_ms, 503 when it is absent or
// failed. An INVITE offering an IM session (OCS dialect) to an identity is
// answered by the IM service's page <-> session bridge, whose texts then reach
// the plugin through its inbox (im_inbox.h); other INVITEs get 488.
// SUBSCRIBEs to an identity are ordinary presence (the plugin publishes through
// the presence service), so they continue. One per shard, on its thread.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "adapters/host/adapter_host.h"
#include "core-server/im/stages/im_service.h"
#include "proxy/routing/stage.h"

namespace adapters {

class AdapterStage final : public proxy::routing::Stage, public MessageSink {
 public:
  // `im` may be null (no IM service: session INVITEs get 488 too).
  AdapterStage(AdapterHost& host, core::im::ImService* im, unsigned shard, uint32_t max_body_bytes);
  ~AdapterStage() override;
  std::string_view name() const override { return "adapters: requests to plugin identities"; }
  proxy::routing::Verdict onRequest(proxy::routing::ContextPtr& ctx) override;
  void answered(uint64_t id, int status) override;

 private:
  AdapterHost& host_;
  core::im::ImService* im_;
  const unsigned shard_;
  const uint32_t max_body_bytes_;
  std::unordered_map<uint64_t, proxy::routing::ContextPtr> waiting_;  // by message id
};

}  // namespace adapters

// SPDX-License-Identifier: Apache-2.0
// The IM service's inbox for plugin identities: page-mode messages the core
// produces itself (texts of an OCS IM session bridged to page mode, a focus
// relaying to a participant) are queued to the plugin like a SIP MESSAGE is.
#pragma once

#include "adapters/host/adapter_host.h"
#include "core-server/im/stages/im_service.h"

namespace adapters {

// For ImService::setServiceInbox on shard `shard`; `host` must outlive the service.
core::im::ImService::ServiceInbox imServiceInbox(AdapterHost& host, unsigned shard);

}  // namespace adapters

// SPDX-License-Identifier: Apache-2.0
#include "adapters/host/im_inbox.h"

#include <chrono>

#include "core-server/im/im_formats.h"
#include "proxy/base/strings.h"
#include "proxy/sip/name_addr.h"

namespace adapters {

core::im::ImService::ServiceInbox imServiceInbox(AdapterHost& host, unsigned shard) {
  return [&host, shard](core::im::PageMessage& m, core::im::StatusCallback& done) {
    if (host.pluginFor(m.to_aor) == nullptr) {
      return false;  // a user: the IM service delivers
    }
    if (proxy::toLower(m.content_type).starts_with(core::im::kIsComposingType)) {
      done(200);  // plugins get texts only
      return true;
    }
    MessageEvent message;
    auto from = proxy::sip::NameAddr::parse(m.from);
    message.from = from && from->uri().isSip() ? from->uri().aor() : std::string();
    message.to = m.to_aor;
    message.content_type = std::move(m.content_type);
    message.body = std::move(m.body);
    message.sent_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    host.offerMessage(shard, std::move(message), std::move(done));
    return true;
  };
}

}  // namespace adapters

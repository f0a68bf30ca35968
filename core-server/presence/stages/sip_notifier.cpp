// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/stages/sip_notifier.h"

#include "proxy/base/counters.h"
#include "proxy/base/log.h"
#include "proxy/routing/overload.h"
#include "proxy/routing/target_resolver.h"
#include "proxy/sip/dialog_request.h"

namespace core::presence {

std::string buildNotify(const NotifyMessage& m, std::string_view user_agent) {
  const DialogState& d = *m.dialog;
  std::string out;
  out.reserve(512 + (m.body ? m.body->size() : 0));
  const char* method = m.benotify ? "BENOTIFY" : "NOTIFY";
  proxy::sip::appendDialogRequestHead(
      out, {method, d.remote_target, d.route_set, d.local_uri, d.local_tag, d.remote_uri,
            d.remote_tag, d.call_id, d.local_cseq, d.local_contact});
  out.append("Event: ").append(m.event);
  if (!m.event_id.empty()) {
    out.append(";id=").append(m.event_id);
  }
  out.append("\r\n");
  out.append("Subscription-State: ").append(m.subscription_state).append("\r\n");
  out.append("User-Agent: ").append(user_agent).append("\r\n");
  if (m.body) {
    out.append("Content-Type: ").append(m.content_type).append("\r\n");
    out.append("Content-Length: ").append(std::to_string(m.body->size())).append("\r\n\r\n");
    out.append(*m.body);
  } else {
    out.append("Content-Length: 0\r\n\r\n");
  }
  return out;
}

SipNotifier::SipNotifier(proxy::routing::ShardRouter& router)
    : router_(router), service_(std::make_shared<PresenceService*>(nullptr)) {}

SipNotifier::~SipNotifier() { *service_ = nullptr; }

void SipNotifier::reportLater(SubscriptionId id, uint32_t cseq, int status) {
  std::weak_ptr<PresenceService*> weak = service_;
  router_.shard().post([weak, id, cseq, status] {
    if (auto service = weak.lock(); service && *service != nullptr) {
      (*service)->onNotifyResult(id, cseq, status);
    }
  });
}

void SipNotifier::sendNotify(const NotifyMessage& m) {
  static auto sent = proxy::counters::get("presence.notify.sent");
  static auto unroutable = proxy::counters::get("presence.notify.unroutable");
  const uint32_t cseq = m.dialog->local_cseq;
  // Terminated NOTIFYs and BENOTIFYs expect no answer the service waits for.
  const bool final_notify = m.subscription_state.starts_with("terminated") || m.benotify;
  auto request = proxy::sip::SipMessage::parse(buildNotify(m, router_.config().server_name),
                                               router_.config().parse_limits);
  if (!request) {
    unroutable.add();
    LOG_WARN("presence: cannot build NOTIFY to %s", m.dialog->remote_target.c_str());
    if (!final_notify) {
      reportLater(m.id, cseq, 503);
    }
    return;
  }
  sent.add();
  std::weak_ptr<PresenceService*> weak = service_;
  const SubscriptionId id = m.id;
  proxy::routing::overload::notifyStarted();  // until its final answer (or 408 / 480 / 503)
  // Without a stored flow the router finds the hop, waiting for DNS if a federated
  // watcher's domain is not cached yet; no hop at all comes back as a 480.
  router_.sendOriginated(
      std::move(*request), proxy::transport::Flow::fromToken(m.dialog->flow_token),
      [weak, id, cseq, final_notify](proxy::sip::SipMessage&& response, bool final) {
        if (final) {
          proxy::routing::overload::notifyEnded();
        }
        if (!final || final_notify) {
          return;
        }
        if (auto service = weak.lock(); service && *service != nullptr) {
          (*service)->onNotifyResult(id, cseq, response.statusCode());
        }
      });
}

}  // namespace core::presence

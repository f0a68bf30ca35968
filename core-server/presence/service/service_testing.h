// SPDX-License-Identifier: Apache-2.0
// Test helpers for the presence service: a NotifySink that records, PIDF bodies.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core-server/presence/service/presence_service.h"
#include "proxy/base/clock.h"

namespace core::presence::testing {

struct SentNotify {
  SubscriptionId id;
  uint32_t cseq;
  std::string state;  // Subscription-State
  std::string content_type;
  std::shared_ptr<const std::string> body;
  std::string remote_target;
  bool benotify = false;
};

class RecordingSink final : public NotifySink {
 public:
  void sendNotify(const NotifyMessage& m) override {
    sent.push_back(SentNotify{m.id, m.dialog->local_cseq, m.subscription_state,
                              std::string(m.content_type), m.body, m.dialog->remote_target,
                              m.benotify});
  }
  std::vector<SentNotify> sent;
};

inline std::string pidf(std::string_view entity, bool open, std::string_view activity = {},
                        std::string_view note = {}) {
  std::string doc =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
      "xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" "
      "xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"";
  doc += entity;
  doc += "\"><tuple id=\"t1\"><status><basic>";
  doc += open ? "open" : "closed";
  doc += "</basic></status></tuple>";
  if (!activity.empty() || !note.empty()) {
    doc += "<dm:person id=\"p1\">";
    if (!activity.empty()) {
      doc += "<rpid:activities><rpid:" + std::string(activity) + "/></rpid:activities>";
    }
    if (!note.empty()) {
      doc += "<dm:note>" + std::string(note) + "</dm:note>";
    }
    doc += "</dm:person>";
  }
  doc += "</presence>";
  return doc;
}

inline PublishRequest publishOf(std::string aor, const std::string& body,
                                std::optional<uint32_t> expires = 3600, std::string if_match = {}) {
  PublishRequest r;
  r.presentity = std::move(aor);
  r.if_match = std::move(if_match);
  r.expires = expires;
  r.content_type = body.empty() ? "" : "application/pidf+xml";
  r.body = body;
  return r;
}

inline SubscribeRequest subscribeOf(std::string presentity, std::string watcher,
                                    std::optional<uint32_t> expires = 600,
                                    std::string call_id = {}) {
  SubscribeRequest r;
  r.presentity = std::move(presentity);
  r.watcher = watcher;
  r.expires = expires;
  r.dialog.call_id = call_id.empty() ? "call-" + watcher : std::move(call_id);
  r.dialog.remote_tag = "wtag";
  r.dialog.local_uri = "sip:" + r.presentity;
  r.dialog.remote_uri = "sip:" + watcher;
  r.dialog.remote_target = "sip:" + watcher.substr(0, watcher.find('@')) + "@192.0.2.1:5060";
  r.dialog.flow_token = "udp/0/0/192.0.2.1:5060";
  return r;
}

inline bool contains(const std::shared_ptr<const std::string>& body, std::string_view what) {
  return body && body->find(what) != std::string::npos;
}

}  // namespace core::presence::testing

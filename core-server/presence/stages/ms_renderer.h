// SPDX-License-Identifier: Apache-2.0
// application/msrtc-event-categories+xml for the presence service's
// RendererRegistry: what an OCS/Lync watcher gets in NOTIFY/BENOTIFY, one
// aggregate `state` (sipe keeps only the last state it sees) plus note, devices
// and the passthrough categories of the watcher's container. Views: kViewOffline
// renders the blocked container (state 18500 only), kViewContainerBase + n the
// container n, kViewFull the personal container (400).
#pragma once

#include "core-server/presence/service/renderer.h"
#include "proxy/base/clock.h"

namespace core::presence {

inline constexpr std::string_view kMsEventCategoriesType = "application/msrtc-event-categories+xml";

class MsCategoriesRenderer final : public PresenceRenderer {
 public:
  explicit MsCategoriesRenderer(const proxy::Clock& clock) : clock_(clock) {}
  std::string_view contentType() const override { return kMsEventCategoriesType; }
  std::string render(const Presence& presence, std::string_view entity, ViewId view) const override;

 private:
  const proxy::Clock& clock_;  // publishTime: sipe shows a note only if it is not older
};

}  // namespace core::presence

// SPDX-License-Identifier: Apache-2.0
// Rendering the aggregated presence into one body format. A renderer is chosen
// per subscription (by the watcher's Accept) and the service renders each
// (presentity sequence, format, view) once and hands the same bytes to every
// watcher of that view. PIDF is built in; msrtc categories and JSON register
// their own renderers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/presence_model.h"

namespace core::presence {

// What a watcher may see. Renderers may define further views (e.g. one per MS
// container level, as kViewContainerBase + container id).
using ViewId = uint32_t;
inline constexpr ViewId kViewFull = 0;     // watcherView() of the aggregated presence
inline constexpr ViewId kViewOffline = 1;  // blocked: offline, nothing else, ever
inline constexpr ViewId kViewContainerBase = 1000;

class PresenceRenderer {
 public:
  virtual ~PresenceRenderer() = default;
  virtual std::string_view contentType() const = 0;  // "application/pidf+xml"
  // `presence` is already reduced to the view (watcherView() or offline);
  // `entity` is the presentity URI ("sip:alice@example.test").
  virtual std::string render(const Presence& presence, std::string_view entity,
                             ViewId view) const = 0;
};

class PidfRenderer final : public PresenceRenderer {
 public:
  std::string_view contentType() const override { return "application/pidf+xml"; }
  std::string render(const Presence& presence, std::string_view entity, ViewId view) const override;
};

// The formats a service can render, by content type (case-insensitive).
class RendererRegistry {
 public:
  RendererRegistry();  // with PIDF
  void add(std::unique_ptr<PresenceRenderer> renderer);
  // Index of the renderer for `content_type`, or -1.
  int find(std::string_view content_type) const;
  const PresenceRenderer& at(int index) const { return *renderers_[static_cast<size_t>(index)]; }
  size_t size() const { return renderers_.size(); }

 private:
  std::vector<std::unique_ptr<PresenceRenderer>> renderers_;
};

// The presence a blocked watcher sees: offline and nothing more.
Presence offlinePresence();

}  // namespace core::presence

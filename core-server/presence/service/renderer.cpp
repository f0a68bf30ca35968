// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/service/renderer.h"

#include <strings.h>

#include "core-server/presence/pidf_mapping.h"

namespace core::presence {

std::string PidfRenderer::render(const Presence& presence, std::string_view entity,
                                 ViewId view) const {
  PidfRenderOptions options;
  if (view == kViewOffline) {
    // Nothing that could tell a blocked watcher more than "offline".
    options.ocs_extension = false;
    options.devices = false;
    options.passthrough = false;
  }
  return renderPidf(presence, entity, options);
}

RendererRegistry::RendererRegistry() { add(std::make_unique<PidfRenderer>()); }

void RendererRegistry::add(std::unique_ptr<PresenceRenderer> renderer) {
  renderers_.push_back(std::move(renderer));
}

int RendererRegistry::find(std::string_view content_type) const {
  for (size_t i = 0; i < renderers_.size(); ++i) {
    std::string_view have = renderers_[i]->contentType();
    if (have.size() == content_type.size() &&
        strncasecmp(have.data(), content_type.data(), have.size()) == 0) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

Presence offlinePresence() {
  Presence p;
  p.availability = kAvailabilityOffline;
  p.source = AggregateSource::NoEndpoints;
  return p;
}

}  // namespace core::presence

// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/stages/ms_renderer.h"

#include "core-server/presence/ms_mapping.h"

namespace core::presence {

std::string MsCategoriesRenderer::render(const Presence& presence, std::string_view entity,
                                         ViewId view) const {
  MsRenderOptions options;
  if (view == kViewOffline) {
    options.container = kContainerBlocked;
  } else if (view >= kViewContainerBase) {
    options.container = view - kViewContainerBase;
  } else {
    options.container = kContainerPersonal;
  }
  options.publish_time = clock_.unixSeconds();
  options.version = static_cast<uint32_t>(presence.sequence == 0 ? 1 : presence.sequence);
  return renderCategories(presence, entity, options);
}

}  // namespace core::presence

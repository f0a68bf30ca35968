// SPDX-License-Identifier: Apache-2.0
// The confab_host_api table handed to every plugin's entry point: C functions
// that check their arguments and the calling thread, then forward to the
// AdapterHost. Plugin pointers are read (copied) before any lock is taken, so a
// bad pointer faults inside the plugin's trap without holding host locks.
#pragma once

#include "adapters/api/confab_adapter.h"

namespace adapters {

const confab_host_api& hostApi();

}  // namespace adapters

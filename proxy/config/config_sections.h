// SPDX-License-Identifier: Apache-2.0
// Internal to proxy/config: one reader per top-level section of confab.yaml.
// Each fills its part of Config from the root mapping and reports problems to
// the shared Diagnostics; later sections may rely on earlier ones (auth.realm
// defaults to the first domain, users need the realm and the domains).
#pragma once

#include "proxy/config/config.h"
#include "proxy/config/yaml_reader.h"

namespace proxy::config::detail {

void readServer(const MapReader& root, Config& config);
void readDomains(const MapReader& root, Config& config);
void readListeners(const MapReader& root, Config& config);
void readStorage(const MapReader& root, Config& config);
void readAuth(const MapReader& root, Config& config);
void readUsers(const MapReader& root, Config& config);
void readRegistrar(const MapReader& root, Config& config);
void readLimits(const MapReader& root, Config& config);
void readTransactions(const MapReader& root, Config& config);
void readPresence(const MapReader& root, Config& config);
void readIm(const MapReader& root, Config& config);
void readGroupChat(const MapReader& root, Config& config);
void readFederation(const MapReader& root, Config& config);
void readAdapters(const MapReader& root, Config& config);

}  // namespace proxy::config::detail

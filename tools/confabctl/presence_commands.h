// SPDX-License-Identifier: Apache-2.0
// confabctl's presence commands: the authorization rules of presentities
// (allow / confirm / block / deny a watcher AOR or a whole domain), written to
// the same store the server keeps its presence state in (state kind
// "presence.rule", core-server/presence/service/rule_records.h). A running
// confabd applies them when it notices the store changed (see conf/README.md).
#pragma once

#include <string>
#include <vector>

namespace confabctl {

extern const char* const kPresenceUsage;

// True for "presence".
bool isPresenceCommand(const std::string& command);
// Runs one; returns the process exit status (0 ok, 1 failed, 2 usage).
int runPresenceCommand(const std::string& config_path, const std::vector<std::string>& args);

}  // namespace confabctl

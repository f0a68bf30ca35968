// SPDX-License-Identifier: Apache-2.0
// confabctl's group-chat commands: categories, rooms, role lists and
// invitations in the group-chat database (groupchat.database, or
// <var_dir>/groupchat.db). A running confabd picks the changes up within a
// couple of seconds (it polls the catalogue version).
#pragma once

#include <string>
#include <vector>

namespace confabctl {

extern const char* const kGroupChatUsage;

// True for the commands this file handles ("room", "category").
bool isGroupChatCommand(const std::string& command);
// Runs one; returns the process exit status (0 ok, 1 failed, 2 usage).
int runGroupChatCommand(const std::string& config_path, const std::vector<std::string>& args);

}  // namespace confabctl

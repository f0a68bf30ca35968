// SPDX-License-Identifier: Apache-2.0
// The SQLite schema as an ordered list of migration steps. PRAGMA user_version holds
// how many steps a database has had; opening applies the missing ones, each in its own
// transaction, and refuses a database written by newer code. Runs once at open, on the
// opening thread, before any other connection touches the file.
#pragma once

#include <span>

#include "core-server/storage/sqlite_connection.h"
#include "proxy/base/result.h"

namespace core::storage {

// The steps this build knows; the schema version is their count.
std::span<const char* const> schemaMigrations();

// Switches the file to WAL and applies the missing `steps` (default: schemaMigrations()).
// Safe against another process migrating the same file at the same time.
proxy::Result<void> migrate(Connection& connection);
proxy::Result<void> migrate(Connection& connection, std::span<const char* const> steps);

}  // namespace core::storage

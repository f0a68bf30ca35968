// SPDX-License-Identifier: Apache-2.0
// Leveled logging to stderr, one line per record, safe from any thread.
// The level is process-wide and may change at runtime (SIGHUP reload).
// Usage: LOG_INFO("listening on %s:%d", host, port);
#pragma once

#include <atomic>
#include <optional>
#include <string_view>

namespace proxy::log {

enum class Level { Trace = 0, Debug, Info, Warn, Error, Off };

void setLevel(Level level);
Level level();
std::optional<Level> parseLevel(std::string_view name);
std::string_view levelName(Level level);

// Formats like printf; adds a timestamp, the level and the calling thread's shard tag.
void write(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// A short tag identifying the thread in log lines ("main", "w0", "store"...); the
// OS thread name becomes "confab-" + tag (cut to 15 characters).
void setThreadTag(std::string_view tag);

inline bool enabled(Level l) { return l >= level(); }

}  // namespace proxy::log

#define CONFAB_LOG(lvl, ...)                                \
  do {                                                      \
    if (::proxy::log::enabled(lvl)) {                       \
      ::proxy::log::write(lvl, __VA_ARGS__);                \
    }                                                       \
  } while (0)
#define LOG_TRACE(...) CONFAB_LOG(::proxy::log::Level::Trace, __VA_ARGS__)
#define LOG_DEBUG(...) CONFAB_LOG(::proxy::log::Level::Debug, __VA_ARGS__)
#define LOG_INFO(...) CONFAB_LOG(::proxy::log::Level::Info, __VA_ARGS__)
#define LOG_WARN(...) CONFAB_LOG(::proxy::log::Level::Warn, __VA_ARGS__)
#define LOG_ERROR(...) CONFAB_LOG(::proxy::log::Level::Error, __VA_ARGS__)

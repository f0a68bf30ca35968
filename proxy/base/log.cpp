// SPDX-License-Identifier: Apache-2.0
#include "proxy/base/log.h"

#include <pthread.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <string>

#include "proxy/base/assert.h"
#include "proxy/base/counters.h"

namespace proxy::log {
namespace {
std::atomic<Level> g_level{Level::Info};
thread_local std::string t_tag = "main";
constexpr std::string_view kNames[] = {"trace", "debug", "info", "warn", "error", "off"};
}  // namespace

void setLevel(Level l) { g_level.store(l, std::memory_order_relaxed); }
Level level() { return g_level.load(std::memory_order_relaxed); }
void setThreadTag(std::string_view tag) {
  t_tag = std::string(tag);
  // Also the OS thread name (top -H, perf, /proc/.../comm): "confab-w0", "confab-store".
  std::string name = "confab-" + t_tag;
  name.resize(std::min<size_t>(name.size(), 15));  // the kernel's limit, without the NUL
  pthread_setname_np(pthread_self(), name.c_str());
}
std::string_view levelName(Level l) { return kNames[static_cast<int>(l)]; }

std::optional<Level> parseLevel(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(Level::Off); ++i) {
    if (kNames[i] == name) {
      return static_cast<Level>(i);
    }
  }
  if (name == "warning") {
    return Level::Warn;
  }
  return std::nullopt;
}

void write(Level l, const char* fmt, ...) {
  char body[4096];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(body, sizeof body, fmt, args);
  va_end(args);

  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  // One fprintf per record keeps lines whole when several threads log at once.
  std::fprintf(stderr, "%s.%03ldZ %-5s [%s] %s\n", stamp, now.tv_nsec / 1000000,
               kNames[static_cast<int>(l)].data(), t_tag.c_str(), body);
}

}  // namespace proxy::log

namespace proxy::detail {
void countBug(const char* what, const char* file, int line) {
  LOG_ERROR("BUG: %s at %s:%d", what, file, line);
  counters::add("bugs");
}
}  // namespace proxy::detail

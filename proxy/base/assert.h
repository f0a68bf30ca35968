// SPDX-License-Identifier: Apache-2.0
// Invariant checks. Never use these on anything the network controls:
// network input errors are Result values, not assertions.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace proxy::detail {
[[noreturn]] inline void assertFail(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "confab: assertion failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}
void countBug(const char* what, const char* file, int line);
}  // namespace proxy::detail

// Fatal in every build: the process cannot continue safely.
#define RELEASE_ASSERT(expr) \
  ((expr) ? (void)0 : ::proxy::detail::assertFail(#expr, __FILE__, __LINE__))

#ifdef NDEBUG
#define ASSERT(expr) ((void)0)
#else
#define ASSERT(expr) RELEASE_ASSERT(expr)
#endif

// "Should never happen": fatal in debug builds, logged and counted in release.
#ifdef NDEBUG
#define BUG(what) ::proxy::detail::countBug(what, __FILE__, __LINE__)
#else
#define BUG(what) ::proxy::detail::assertFail(what, __FILE__, __LINE__)
#endif

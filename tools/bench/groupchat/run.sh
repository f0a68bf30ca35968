#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Group-chat benchmark (issue 5): concurrent channel sessions (memory per session), posts
# fanned out to rooms of 10, 100 and 1,000 participants.
# usage: tools/bench/groupchat/run.sh [--quick] [gc_bench.py options...]   (gc_bench.py --help)
#   CONFAB_BIN=path/to/confabd   benchmark that binary instead of building one
# Needs root (or a hard open-files limit above the connection count): it raises RLIMIT_NOFILE.
# --sessions-per-connection K carries K users' sessions per connection (an edge proxy).
# Prints Markdown tables and writes tools/bench/results/groupchat-latest.md (+ .json).
set -euo pipefail
cd "$(dirname "$0")/../../.."
if [ -z "${CONFAB_BIN:-}" ]; then
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONFAB_TESTS=OFF >/dev/null
  cmake --build build/release --target confabd confabctl
  CONFAB_BIN=build/release/proxy/main/confabd
fi
exec python3 tools/bench/groupchat/gc_bench.py --confab-bin "$CONFAB_BIN" "$@"

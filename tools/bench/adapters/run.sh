#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# HTTP presence export benchmark: updates pushed to 1,000 and 10,000 SSE listeners, latency from
# a SIP PUBLISH to the event at each listener (p50/p99), confabd CPU time.
# usage: tools/bench/adapters/run.sh [--quick] [presence_push.py options...]
#   CONFABD=path CONFAB_HTTP_PRESENCE_PLUGIN=path   benchmark these instead of building release
# Writes tools/bench/adapters/results-latest.json.
set -euo pipefail
cd "$(dirname "$0")/../../.."
# Every listener is a socket on both sides: raise the descriptor limit as far as allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ -z "${CONFABD:-}" ] || [ -z "${CONFAB_HTTP_PRESENCE_PLUGIN:-}" ]; then
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONFAB_TESTS=OFF >/dev/null
  cmake --build build/release --target confabd confabctl confab_http_presence
  export CONFABD=build/release/proxy/main/confabd
  export CONFAB_HTTP_PRESENCE_PLUGIN=build/release/adapters/http_presence/libconfab_http_presence.so
fi
export CONFABCTL="${CONFABCTL:-$(dirname "$CONFABD")/../../tools/confabctl/confabctl}"

exec python3 tools/bench/adapters/presence_push.py --json tools/bench/adapters/results-latest.json "$@"

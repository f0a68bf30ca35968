#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Federation benchmark (issue 6): MESSAGE and NOTIFY throughput across the federation link,
# Confab -> Confab (TCP and mutual TLS) next to Confab <-> Kamailio, and the cost of TLS per
# federation connection (RSS and CPU) next to TCP.
# usage: tools/bench/federation/run.sh [--quick] [fed_bench.py options...]  (fed_bench.py --help)
#   CONFAB_BIN=path/to/confabd   benchmark that binary instead of building one
# Prints Markdown tables and writes tools/bench/results/federation-latest.md (+ .json).
set -euo pipefail
cd "$(dirname "$0")/../../.."
tools/install-deps.sh bench
if [ -z "${CONFAB_BIN:-}" ]; then
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONFAB_TESTS=OFF >/dev/null
  cmake --build build/release --target confabd
  CONFAB_BIN=build/release/proxy/main/confabd
fi
exec python3 tools/bench/federation/fed_bench.py --confab-bin "$CONFAB_BIN" "$@"

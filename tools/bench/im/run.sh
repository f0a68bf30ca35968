#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# IM benchmark (issue 4): Confab's page-mode relay next to Kamailio's, then MESSAGE through a
# bridged session, through the multiparty focus and into the offline store.
# usage: tools/bench/im/run.sh [--quick] [im_bench.py options...]   (im_bench.py --help)
#   CONFAB_BIN=path/to/confabd   benchmark that binary instead of building one
# Prints a Markdown table and writes tools/bench/results/im-latest.md (+ .json).
set -euo pipefail
cd "$(dirname "$0")/../../.."
tools/install-deps.sh bench
if [ -z "${CONFAB_BIN:-}" ]; then
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONFAB_TESTS=OFF >/dev/null
  cmake --build build/release --target confabd confabctl
  CONFAB_BIN=build/release/proxy/main/confabd
fi
exec python3 tools/bench/im/im_bench.py --confab-bin "$CONFAB_BIN" "$@"

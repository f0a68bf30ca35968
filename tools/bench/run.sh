#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Side-by-side benchmark: Confab vs Kamailio under the same sipp load.
# usage: tools/bench/run.sh [--quick] [bench.py options...]   (bench.py --help)
#   CONFAB_BIN=path/to/confabd   benchmark that binary instead of building one
# Prints a Markdown table and writes tools/bench/results/latest.md (+ .json).
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/install-deps.sh bench
if [ -z "${CONFAB_BIN:-}" ]; then
  if cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONFAB_TESTS=OFF >/dev/null &&
     cmake --build build/release --target confabd confabctl; then
    CONFAB_BIN=build/release/proxy/main/confabd
  elif command -v clang++ >/dev/null &&
       CC=clang CXX=clang++ cmake -S . -B build/release-clang -G Ninja -DCMAKE_BUILD_TYPE=Release \
         -DCONFAB_TESTS=OFF >/dev/null &&
       cmake --build build/release-clang --target confabd confabctl; then
    echo "run.sh: WARNING: the default compiler failed to build Confab; benchmarking a clang build" >&2
    CONFAB_BIN=build/release-clang/proxy/main/confabd
  else
    echo "run.sh: Confab did not build; benchmarking Kamailio alone" >&2
    CONFAB_BIN=
  fi
fi
exec python3 tools/bench/bench.py ${CONFAB_BIN:+--confab-bin "$CONFAB_BIN"} "$@"

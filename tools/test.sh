#!/usr/bin/env bash
# Builds Confab with ASan+UBSan (clang, so the libFuzzer target builds too) and
# runs the whole suite: unit, corpus, fuzz (bounded), integration and interop.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh test
build=build/test
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCONFAB_SANITIZE=ON -DCONFAB_FUZZ=ON -DCONFAB_WERROR=ON >/dev/null
cmake --build "$build"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$build" && ctest --output-on-failure --timeout 600 -j2 "$@"

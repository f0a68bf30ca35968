#!/usr/bin/env bash
# Builds Confab (release) and runs confabd on the embedded defaults:
# SQLite under var/, loopback listeners, domain example.test.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh run
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONFAB_TESTS=OFF >/dev/null
cmake --build build/release --target confabd confabctl
exec build/release/proxy/main/confabd --config conf/confab.yaml "$@"

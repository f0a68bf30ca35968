#!/usr/bin/env bash
# Installs what Confab needs to build, run and test on Debian 12. Idempotent.
# Usage: tools/install-deps.sh [run|test]   (test adds the interop peers and clang)
set -euo pipefail
want=${1:-run}
pkgs=(build-essential cmake ninja-build pkg-config openssl python3
      libuv1-dev libssl-dev libc-ares-dev libexpat1-dev libyaml-cpp-dev doctest-dev
      libsqlite3-dev sqlite3 libwebsockets-dev nlohmann-json3-dev)
if [ "$want" = test ] || [ "$want" = bench ]; then
  pkgs+=(clang libclang-rt-14-dev sip-tester baresip-core pidgin-sipe libpurple-dev libxml2-dev)
  # Kamailio: the other domain in the federation interop test, and the benchmarks' peer.
  pkgs+=(kamailio kamailio-presence-modules)
  # The browser tests (tests/web): Debian's chromium, driven headless by playwright-core, which
  # tests/web/run_browser_test.py installs from its lock file with `npm ci` when missing. node and
  # npm only when there is no node at all: a nodesource nodejs already brings its own npm, and
  # Debian's npm must not be installed over it.
  pkgs+=(chromium)
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs npm)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends "${missing[@]}"
fi

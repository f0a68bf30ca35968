#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Join cost of one large room (issue 5): the channel service alone (no SIP), 250 / 500 /
# 1,000 members joining one room one INFO per event-loop turn, then 1,000 with the join
# notices delayed over bursts of 20 joins. Prints CPU time, server INFOs and bytes for each
# (the doctest case "bench: join 1000 members to one room" in channel_service_test.cpp).
# usage: tools/bench/groupchat/join_cost.sh [build dir]   (default build/release-tests)
set -euo pipefail
cd "$(dirname "$0")/../../.."
dir=${1:-build/release-tests}
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$dir" --target core_groupchat_service_tests
"$dir/core-server/groupchat/service/core_groupchat_service_tests" \
  -tc="bench: join 1000*" --no-skip 2>&1 | grep -E "joined|test cases"

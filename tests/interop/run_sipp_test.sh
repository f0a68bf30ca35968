#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs one sipp interop scenario against a real confabd on loopback ephemeral
# ports, and checks that sipp and confabd both end cleanly.
#
# usage: run_sipp_test.sh [options] SCENARIO.xml
#   -t udp|tcp   transport (default udp); tcp is ONE connection (sipp -t t1)
#   -s NAME      sipp -s: the AOR / callee user part (default alice)
#   -u NAME      digest user answering challenges, password "secret" (default alice)
#   -a LIST      auth.algorithms, comma separated (default "MD5": SIPp 3.6
#                computes MD5 only and reads the first challenge it gets)
#   -m LIST      auth.md5_only_user_agents, comma separated (default: not set);
#                the scenarios send "User-Agent: confab-interop-sipp"
#   -w N         server.workers (default 1)
#   -R           do not challenge out-of-dialog requests (auth.requests false)
#   -b           start bob first: uas_message.xml registers bob over the same
#                transport and answers the MESSAGE (out-of-call scenario
#                uas_message_answer.xml); bob's sipp must end with exit 0 too
# environment:
#   CONFABD      the confabd binary (required unless INTEROP_SERVER=kamailio)
#   SIPP         the sipp binary (default: sipp)
#   KEEP_TMP=1   keep the temporary directory (it is printed on failure anyway)
#   INTEROP_TLS=0           leave the TLS listener out of the configuration
#   INTEROP_SERVER=kamailio run against Kamailio (tools/bench/kamailio.cfg) to
#                check the scenarios themselves; not used by the test suite
#
# Steps: temp dir + YAML (ports 0) -> start confabd -> wait (10 s) for
# --ports-file -> [start bob, wait (10 s) until registered] -> sipp -m 1
# -timeout 20s -timeout_error must exit 0 -> [bob must exit 0] -> SIGTERM
# confabd, which must exit 0 within 10 s.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
sipp=${SIPP:-sipp}
transport=udp service=alice auth_user=alice algorithms=MD5 md5_only="" workers=1 requests=true
with_bob=0

usage() { sed -n '6,30p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts "t:s:u:a:m:w:Rbh" opt; do
  case $opt in
    t) transport=$OPTARG ;;
    s) service=$OPTARG ;;
    u) auth_user=$OPTARG ;;
    a) algorithms=$OPTARG ;;
    m) md5_only=$OPTARG ;;
    w) workers=$OPTARG ;;
    R) requests=false ;;
    b) with_bob=1 ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
scenario=$1
[ -f "$scenario" ] || scenario=$here/$1
[ -f "$scenario" ] || { echo "run_sipp_test: no scenario $1" >&2; exit 2; }
scenario=$(cd "$(dirname "$scenario")" && pwd)/$(basename "$scenario")
case $transport in
  udp) sipp_t=u1 ;;
  tcp) sipp_t=t1 ;;
  *) usage ;;
esac
server_kind=${INTEROP_SERVER:-confab}
if [ "$server_kind" = confab ] && [ ! -x "${CONFABD:-}" ]; then
  echo "run_sipp_test: set CONFABD to the confabd binary" >&2
  exit 2
fi
command -v "$sipp" >/dev/null || { echo "run_sipp_test: $sipp not found" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/confab-interop.XXXXXX")
server_pid="" bob_pid="" failed=0

stop_pid() {  # stop_pid PID: SIGTERM, then SIGKILL after 5 s; only our own children
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

cleanup() {
  stop_pid "$bob_pid"
  stop_pid "$server_pid"
  if [ "$failed" = 1 ] || [ "${KEEP_TMP:-0}" = 1 ]; then
    echo "run_sipp_test: files kept in $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

fail() {
  failed=1
  echo "FAIL: $*" >&2
  for f in "$tmp"/server.log "$tmp"/*errors.log "$tmp"/*.out; do
    [ -s "$f" ] || continue
    echo "----- $(basename "$f") (last 40 lines)" >&2
    tail -n 40 "$f" >&2
  done
  exit 1
}

free_port() {  # a port free on both UDP and TCP of 127.0.0.1
  python3 - <<'EOF'
import socket
for _ in range(50):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close()
        continue
    u.close()
    t.close()
    print(port)
    break
EOF
}

cd "$tmp" || exit 1

# --- the server -------------------------------------------------------------
if [ "$server_kind" = confab ]; then
  algs=$(echo "$algorithms" | sed 's/ *, */, /g')
  {
    echo "server:"
    echo "  workers: $workers"
    echo "  log_level: info"
    echo "  var_dir: $tmp/var"
    echo "domains: [example.test]"
    echo "listeners:"
    echo "  - { transport: udp, address: 127.0.0.1, port: 0 }"
    echo "  - { transport: tcp, address: 127.0.0.1, port: 0 }"
    if [ "${INTEROP_TLS:-1}" != 0 ]; then
      echo "  - { transport: tls, address: 127.0.0.1, port: 0,"
      echo "      certificate: $tmp/var/tls/confab.crt, private_key: $tmp/var/tls/confab.key }"
    fi
    echo "storage:"
    echo "  path: $tmp/var/confab.db"
    echo "auth:"
    echo "  algorithms: [$algs]"
    echo "  register: true"
    echo "  requests: $requests"
    if [ -n "$md5_only" ]; then
      echo "  md5_only_user_agents: [$(echo "$md5_only" | sed 's/ *, */, /g')]"
    fi
    echo "users:"
    echo "  - { aor: alice@example.test, password: secret }"
    echo "  - { aor: bob@example.test, password: secret }"
  } >confab.yaml
  "$CONFABD" --config "$tmp/confab.yaml" --ports-file "$tmp/ports.json" >server.log 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || { wait "$server_pid"; fail "confabd exited at start-up ($?)"; }
    [ -s ports.json ] && grep -q '}' ports.json && break
    sleep 0.1
  done
  [ -s ports.json ] || fail "confabd wrote no ports file within 10 s"
  port_of() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p" ports.json | head -n 1; }
  server_port=$(port_of "$transport")
  [ -n "$server_port" ] && [ "$server_port" != 0 ] || fail "no $transport port in ports.json: $(cat ports.json)"
else
  # Kamailio with the benchmark configuration (digest on REGISTER), to check
  # the scenarios themselves. It answers 404 for anyone not registered.
  server_port=$(free_port)
  mkdir -p kamailio-run
  /usr/sbin/kamailio -f "$repo/tools/bench/kamailio.cfg" -DD -E -Y "$tmp/kamailio-run" \
    -w "$tmp/kamailio-run" -m 64 -M 8 -l "udp:127.0.0.1:$server_port" \
    -l "tcp:127.0.0.1:$server_port" -n 1 -N 1 -A WITH_AUTH >server.log 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || fail "kamailio exited at start-up"
    grep -q "Aliases" server.log && break
    sleep 0.1
  done
  sleep 0.5
fi

common=(-i 127.0.0.1 -t "$sipp_t" -m 1 -timeout 20s -timeout_error -nostdin
        -trace_err -trace_msg)

# --- bob ---------------------------------------------------------------------
if [ "$with_bob" = 1 ]; then
  bob_port=$(free_port)
  "$sipp" -sf "$here/uas_message.xml" -oocsf "$here/uas_message_answer.xml" \
    "127.0.0.1:$server_port" -s bob -au bob -ap secret -p "$bob_port" \
    -key registered_cmd "touch $tmp/bob.registered" "${common[@]}" >bob.out 2>&1 &
  bob_pid=$!
  for _ in $(seq 100); do
    [ -e bob.registered ] && break
    kill -0 "$bob_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -e bob.registered ] || fail "bob did not register within 10 s"
fi

# --- the scenario under test ---------------------------------------------------
timeout 40 "$sipp" -sf "$scenario" "127.0.0.1:$server_port" -s "$service" \
  -au "$auth_user" -ap secret "${common[@]}" >uac.out 2>&1
rc=$?
[ "$rc" = 0 ] || fail "sipp $(basename "$scenario") exited $rc"

if [ -n "$bob_pid" ] && [ "$transport" = tcp ]; then
  # bob lingers 2 s after answering: the MESSAGE must have used the connection
  # bob registered on, not a new one to the port sipp also listens on.
  if command -v ss >/dev/null; then
    conns=$(ss -Htnp state established 2>/dev/null | grep -c "pid=$bob_pid,")
    [ "$conns" = 1 ] || fail "bob's sipp has $conns TCP connections, expected the registering one only"
  else
    echo "run_sipp_test: ss not found, single-connection check skipped" >&2
  fi
fi

if [ -n "$bob_pid" ]; then
  for _ in $(seq 200); do kill -0 "$bob_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$bob_pid" 2>/dev/null && fail "bob's sipp still waiting 20 s after the MESSAGE"
  wait "$bob_pid"
  rc=$?
  bob_pid=""
  [ "$rc" = 0 ] || fail "bob's sipp (uas_message.xml) exited $rc"
fi

# --- clean shutdown --------------------------------------------------------------
kill -TERM "$server_pid"
for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server_pid" 2>/dev/null; then
  kill -KILL "$server_pid"
  wait "$server_pid" 2>/dev/null
  server_pid=""
  fail "$server_kind did not exit within 10 s of SIGTERM"
fi
wait "$server_pid"
rc=$?
server_pid=""
[ "$rc" = 0 ] || fail "$server_kind exited $rc after SIGTERM"
echo "PASS: $(basename "$scenario") over $transport against $server_kind"
exit 0

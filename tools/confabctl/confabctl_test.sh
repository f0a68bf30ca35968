#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end test of confabctl against a throwaway config and database:
# add/list/del/list, exit codes, and the errors for bad input.
# Usage: confabctl_test.sh PATH/TO/confabctl
set -uo pipefail

ctl=$(realpath "${1:?usage: $0 PATH/TO/confabctl}")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"  # storage.path is relative: it must resolve against the working directory

cat > confab.yaml <<'YAML'
domains: [example.test, corp.test]
listeners:
  - { transport: udp, address: 127.0.0.1, port: 0 }
storage:
  path: db/confab.db
YAML

failures=0
out=""
err=""
code=0

# run ARGS...: runs confabctl with the test config, capturing stdout, stderr and status.
run() {
  out=$("$ctl" --config confab.yaml "$@" 2>"$dir/stderr")
  code=$?
  err=$(cat "$dir/stderr")
}

# expect NAME WANT_CODE WANT_STDOUT [STDERR_SUBSTRING]
expect() {
  local name=$1 want_code=$2 want_out=$3 want_err=${4:-}
  if [[ $code != "$want_code" || $out != "$want_out" || $err != *"$want_err"* ]]; then
    echo "FAIL: $name"
    echo "  exit $code (want $want_code)"
    echo "  stdout: $(printf '%q' "$out") (want $(printf '%q' "$want_out"))"
    echo "  stderr: $(printf '%q' "$err") (want to contain $(printf '%q' "$want_err"))"
    failures=$((failures + 1))
  else
    echo "ok: $name"
  fi
}

run user list
expect "empty list" 0 ""
[[ -f db/confab.db ]] || { echo "FAIL: database not created at storage.path"; failures=$((failures + 1)); }

run user add alice@example.test secret
expect "add alice" 0 "added alice@example.test"
run user add Bob@Corp.Test -dash-password
expect "add bob (lowercased; password may start with -)" 0 "added bob@corp.test"
run user add alice@example.test secret2
expect "re-add alice updates" 0 "updated alice@example.test"
run user list
expect "list two" 0 $'alice@example.test\nbob@corp.test'

# The stored HA1s are the hashes, never the password (printf 'alice:example.test:secret2' | md5sum).
if command -v sqlite3 >/dev/null; then
  row=$(sqlite3 db/confab.db "SELECT realm, ha1_md5 FROM users WHERE aor = 'alice@example.test'")
  want="example.test|$(printf 'alice:example.test:secret2' | md5sum | cut -d' ' -f1)"
  [[ $row == "$want" ]] || { echo "FAIL: stored HA1 $row, want $want"; failures=$((failures + 1)); }
  if sqlite3 db/confab.db .dump | grep -q secret2; then
    echo "FAIL: the password appears in the database"; failures=$((failures + 1))
  fi
fi

run user add carol@example.test - < <(printf 'from-stdin\n')
expect "password from stdin" 0 "added carol@example.test"

run user del alice@example.test
expect "del alice" 0 "deleted alice@example.test"
run user del alice@example.test
expect "del absent user fails" 1 "" "no such user: alice@example.test"
run user list
expect "list after del" 0 $'bob@corp.test\ncarol@example.test'

run user add alice secret
expect "bad AOR" 2 "" 'expected user@domain, got "alice"'
run user add alice@other.test secret
expect "unknown domain" 2 "" 'domain "other.test" is not one of the configured domains (example.test, corp.test)'
run user add dave@example.test ""
expect "empty password" 2 "" "password must not be empty"
run user rename x
expect "unknown verb" 2 "" "user: unknown rename"
run user del
expect "missing argument" 2 "" "user del: wrong number of arguments"
run group list
expect "unknown command" 2 "" "unknown command group"

out=$("$ctl" --help 2>&1); code=$?
[[ $code == 0 && $out == usage:* ]] || { echo "FAIL: --help"; failures=$((failures + 1)); }

printf 'domains: [example.test]\nlisteners: []\nstorage: { path: x.db }\n' > bad.yaml
out=$("$ctl" --config bad.yaml user list 2>"$dir/stderr"); code=$?; err=$(cat "$dir/stderr")
expect "config error" 2 "" "bad.yaml:2:12: listeners: expected at least one listener"
out=$("$ctl" --config missing.yaml user list 2>"$dir/stderr"); code=$?; err=$(cat "$dir/stderr")
expect "missing config" 2 "" "missing.yaml: cannot open"

if (( failures > 0 )); then
  echo "$failures failure(s)"
  exit 1
fi
echo "all confabctl tests passed"

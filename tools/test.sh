#!/bin/bash
# test.sh: the project's test command (README, .ci/run). On a fresh Debian 12
# machine it installs every dependency with apt-get, builds, runs the unit
# suite, runs it again under AddressSanitizer + UndefinedBehaviorSanitizer,
# checks the core under valgrind, runs the fuzzers for a bounded time,
# starts the local OpenStack cloud, runs
# the functional suite against it,
# stops the cloud, and ends with one line: "N passed, N failed".
#   tools/test.sh            everything
#   tools/test.sh --unit     unit suite only (no sanitizers, no cloud)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
# everything the suites talk to is on this machine: never through a proxy
export no_proxy=127.0.0.1,localhost,::1 NO_PROXY=127.0.0.1,localhost,::1
MODE=${1:-all}
PASSED=0
FAILED=0
T0=$(date +%s)

say() { echo "[test $(( $(date +%s) - T0 ))s] $*"; }

# Runs one busted suite, echoing its output, and adds its totals.
run_suite() { # name env-assignments... -- busted args...
  local name=$1; shift
  local envs=() BUSTED_LUA=lua5.4
  while [ "$1" != "--" ]; do
    case $1 in BUSTED_LUA=*) BUSTED_LUA=${1#BUSTED_LUA=};; *) envs+=("$1");; esac
    shift
  done
  shift
  local out
  out=$(mktemp)
  say "suite $name"
  # busted re-executes itself under --lua; BUSTED_LUA picks another interpreter
  env "${envs[@]}" "$BUSTED_LUA" /usr/bin/busted -o utfTerminal "$@" 2>&1 | tee "$out"
  local line ok bad err
  line=$(grep -E '[0-9]+ success(es)? / [0-9]+ failures? / [0-9]+ errors?' "$out" | tail -1)
  if [ -z "$line" ]; then
    say "suite $name did not report results (crashed?)"
    FAILED=$((FAILED + 1))
  else
    ok=$(grep -oE '[0-9]+ success' <<<"$line" | grep -oE '[0-9]+')
    bad=$(grep -oE '[0-9]+ failure' <<<"$line" | grep -oE '[0-9]+')
    err=$(grep -oE '[0-9]+ error' <<<"$line" | grep -oE '[0-9]+')
    PASSED=$((PASSED + ok))
    FAILED=$((FAILED + bad + err))
    say "suite $name: $ok passed, $((bad + err)) failed"
  fi
  rm -f "$out"
}

finish() {
  # the audit reads the trace of everything that ran before it
  run_suite secrets-audit OSTACK_AUDIT_TRACE="$OSTACK_TRACE_FILE" -- spec/audit
  rm -f "$OSTACK_TRACE_FILE"
  say "done in $(( $(date +%s) - T0 ))s"
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit $?
}

# every suite's redacted trace and errors, audited for secrets at the end
export OSTACK_TRACE_FILE
OSTACK_TRACE_FILE=$(mktemp /tmp/ostack-trace.XXXXXX)

if ! tools/deps.sh; then echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; fi
if ! tools/build.sh build; then echo "build failed"; echo "0 passed, 1 failed"; exit 1; fi

run_suite unit --

# CTest: the embedding examples, built against libostack as a host program would.
say "suite ctest"
ctest_out=$( (cd build && ctest --output-on-failure) 2>&1)
echo "$ctest_out" | tail -5
if line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' <<<"$ctest_out"); then
  total=$(grep -oE 'out of [0-9]+' <<<"$line" | grep -oE '[0-9]+')
  bad=$(grep -oE '[0-9]+ tests failed' <<<"$line" | grep -oE '[0-9]+')
  PASSED=$((PASSED + total - bad))
  FAILED=$((FAILED + bad))
else
  FAILED=$((FAILED + 1))
fi
[ "$MODE" = "--unit" ] && finish

# The same suite with the core built under ASan + UBSan, run by the
# instrumented ostack-lua (the core is linked into it, so the runtime comes
# first without LD_PRELOAD, and the fixture's python/curl stay untouched).
if tools/build.sh build-asan -DOSTACK_SANITIZE=ON; then
  run_suite sanitizers OSTACK_SANITIZED=1 ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 BUSTED_LUA="$ROOT/build-asan/ostack-lua" --
else
  say "sanitizer build failed"
  FAILED=$((FAILED + 1))
fi

# valgrind memcheck over the core specs, through ostack-lua (the core is
# linked in, so its frames resolve). What counts is memcheck's verdict:
# no invalid access and no definite leak; slow-running timing specs may fail.
say "valgrind memcheck (spec/core)"
vg_log=$(mktemp)
valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
  build/ostack-lua /usr/bin/busted -o plainTerminal spec/core >"$vg_log" 2>&1
vg_rc=$?
grep -E "successes|ERROR SUMMARY|definitely lost:" "$vg_log" | sed 's/^==[0-9]*== *//'
if [ $vg_rc -eq 99 ]; then
  grep -B2 -A20 -E "Invalid|definitely lost in" "$vg_log" | head -60
  say "valgrind: memory errors or leaks in the core"
  FAILED=$((FAILED + 1))
else
  PASSED=$((PASSED + 1))
fi
rm -f "$vg_log"

# libFuzzer harnesses (JSON, URL, pager, error bodies, config), bounded in time.
say "fuzzing (${OSTACK_FUZZ_SECONDS:-60} s per target)"
fuzz_out=$(fuzz/run.sh "${OSTACK_FUZZ_SECONDS:-60}" 2>&1)
echo "$fuzz_out"
PASSED=$((PASSED + $(grep -c ': ok,' <<<"$fuzz_out")))
FAILED=$((FAILED + $(grep -c ': FAILED' <<<"$fuzz_out")))
grep -qE ': (ok|FAILED)' <<<"$fuzz_out" || FAILED=$((FAILED + 1))

# Functional suite against the real local cloud.
CLOUD="$ROOT/tools/local-cloud"
say "starting the local cloud"
if "$CLOUD/start.sh"; then
  trap '"$CLOUD/stop.sh" >/dev/null 2>&1' EXIT
  run_suite functional OS_CLIENT_CONFIG_FILE="${OSTACK_STATE:-/var/lib/ostack-cloud}/clouds.yaml" -- --run=functional
  say "stopping the local cloud"
  "$CLOUD/stop.sh" >/dev/null 2>&1
  trap - EXIT
else
  say "the local cloud did not start (its log tail is above)"
  FAILED=$((FAILED + 1))
fi
finish

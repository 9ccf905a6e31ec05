#!/bin/bash
# run.sh [SECONDS] [BUILD_DIR]: builds the libFuzzer harnesses with clang and
# runs each for SECONDS (default 60) on its seed corpus (a copy: the seeds in
# the repository stay as they are). Any crash fails; prints executions per target.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
secs=${1:-60}
dir=${2:-build-fuzz}
CC=clang cmake -S . -B "$dir" -DOSTACK_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
cmake --build "$dir" -j"$(nproc)" >/dev/null 2>&1 || { cmake --build "$dir" 2>&1 | tail -20; exit 1; }
status=0
for t in json url pager error_body config; do
  work=$(mktemp -d)
  cp -r "fuzz/corpus/$t/." "$work/"
  log=$(mktemp)
  OSTACK_LUA_DIR=$PWD/lua "$dir/fuzz_$t" -max_total_time="$secs" -max_len=65536 -timeout=10 \
    -artifact_prefix="$dir/crash-$t-" "$work" >"$log" 2>&1
  rc=$?
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
  [ -z "$execs" ] && execs=$(grep -oE '#[0-9]+' "$log" | tail -1 | tr -d '#')
  if [ $rc -ne 0 ]; then
    echo "fuzz_$t: FAILED (exit $rc) after ${execs:-?} executions"
    grep -E "ERROR|SUMMARY|abort|Assertion|unexpected error" "$log" | head -20
    status=1
  else
    echo "fuzz_$t: ok, ${execs:-?} executions in ${secs}s"
  fi
  rm -rf "$work" "$log"
done
exit $status

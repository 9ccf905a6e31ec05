#!/bin/bash
# bench/profile.sh: where ostack-lua's 100k listing spends its time.
# Run through `bench/run.sh --profile` (which serves the fixture first).
# Records the list-100k client with perf (DWARF call graphs), sorts the
# samples into transfer / JSON decode / GC / Lua code with
# bench/perf_categories.py, and times a few A/B variants (collector mode,
# glibc fastbins, decode without wrapping). Writes
# bench/results/profile-list100k.md (and prints it).
#
# Debian's liblua5.4 is stripped of its internal symbols (GC and table
# functions would all read "[unknown]"). With LUA_SRC=<Lua 5.4.4 source
# tree> (e.g. `git archive v5.4.4` of github.com/lua/lua) the script builds
# the same library with -O2 -g into bench/fixture-data/lua-debug and
# profiles against it (LD_LIBRARY_PATH); the A/B timings always use
# Debian's library.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export OS_CLIENT_CONFIG_FILE=$PWD/bench/fixture-data/clouds.yaml
OUT=bench/results/profile-list100k.md
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p bench/results
command -v perf >/dev/null || { echo "profile.sh: perf is missing (apt-get install linux-perf)" >&2; exit 1; }

libdir=
if [ -n "${LUA_SRC:-}" ]; then
  libdir=$PWD/bench/fixture-data/lua-debug
  if [ ! -f "$libdir/liblua5.4.so.0" ]; then
    mkdir -p "$libdir"
    echo 'LUA_5.4 { global: *; };' >"$libdir/ver.map"
    srcs=$(ls "$LUA_SRC"/*.c | grep -v -E '/(lua|luac|onelua|ltests)\.c$')
    # shellcheck disable=SC2086
    gcc -O2 -g -fPIC -shared -DLUA_COMPAT_5_3 -DLUA_USE_LINUX -Wl,--version-script="$libdir/ver.map" \
      -Wl,-soname,liblua5.4.so.0 -o "$libdir/liblua5.4.so.0" $srcs -lm -ldl
  fi
fi

run() { build/ostack-lua "$@" bench/clients/ostack.lua list bench-c100k; }
cpu_of() { sed 's/.*"cpu":\([0-9.]*\).*/\1/'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

{
  echo "# Profile: ostack-lua listing 100,000 servers"
  echo
  echo "$(date '+%Y-%m-%d %H:%M'), build/ostack-lua of $(date -r build/ostack-lua '+%Y-%m-%d %H:%M'), load average $(cut -d' ' -f1 /proc/loadavg)."
  if [ -n "$libdir" ]; then
    echo "liblua: a symbolized 5.4.4 build ($libdir) for the perf run; Debian's for the A/B timings."
  else
    echo "liblua: Debian's (its internal functions show as [unknown]; set LUA_SRC for names)."
  fi
  echo
  echo "## Where the CPU time goes (perf, DWARF call graphs, whole process)"
  echo
  LD_LIBRARY_PATH=${libdir:-} perf record -q -F 999 --call-graph dwarf,32768 -o "$WORK/perf.data" \
    build/ostack-lua bench/clients/ostack.lua list bench-c100k >"$WORK/run.json" 2>/dev/null
  echo "The profiled run: $(cat "$WORK/run.json")"
  echo
  perf script -i "$WORK/perf.data" -F comm,tid,ip,sym,dso 2>/dev/null | /usr/bin/python3 bench/perf_categories.py
  echo
  echo "## A/B timings"
  echo
  echo "CPU seconds (user+system) of the listing alone, median of 5 rounds; the variants take turns in each"
  echo "round so that the load of a shared machine falls on all of them alike. Debian's liblua."
  echo
  cat >"$WORK/raw.lua" <<'LUA'
-- the listing without resource objects: the core's page iterator, as proxy.lua drives it
local core = require "openstack.core"
local conn = openstack.connect { cloud = arg[1] }
conn:authorize()
local mv = conn.compute:microversion()
local t0, c0 = core.now(), os.clock()
local n = 0
for s in conn.session:pages { service = "compute", path = "/servers/detail", query = {}, microversion = mv,
  resources_key = "servers", id_key = "id", paginated = true } do
  if s.id and s.name and s.status then n = n + 1 end
end
print(('{"wall":%.6f,"cpu":%.6f,"n":%d}'):format(core.now() - t0, os.clock() - c0, n))
LUA
  labels=("as shipped"
          "collectgarbage('generational') (lua.c's mode)"
          "collectgarbage('incremental', 400, 200): fewer cycles, more memory"
          "glibc fastbins off (GLIBC_TUNABLES=glibc.malloc.mxfast=0)"
          "no resource objects (session:pages directly)")
  for r in 1 2 3 4 5; do
    run >>"$WORK/v0"
    run -e "collectgarbage('generational')" >>"$WORK/v1"
    run -e "collectgarbage('incremental',400,200)" >>"$WORK/v2"
    GLIBC_TUNABLES=glibc.malloc.mxfast=0 run >>"$WORK/v3"
    build/ostack-lua "$WORK/raw.lua" bench-c100k >>"$WORK/v4"
  done
  base=$(cpu_of <"$WORK/v0" | median)
  echo "| variant | CPU | vs as shipped |"
  echo "|---|---:|---:|"
  for i in 0 1 2 3 4; do
    m=$(cpu_of <"$WORK/v$i" | median)
    echo "| ${labels[$i]} | $(printf %.2f "$m") s | $(awk -v a="$m" -v b="$base" 'BEGIN{printf "%+.0f%%", (a/b-1)*100}') |"
  done
} | tee "$OUT"
echo "profile.sh: wrote $OUT" >&2

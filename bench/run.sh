#!/bin/bash
# bench/run.sh [--quick] [--only=KEY,...] [--serve] [--profile]: the benchmark against openstacksdk,
# pkgcloud, a bare Python loop and curl (doc/bench.md). Generates the
# fixture cloud (bench/fixture-data/, once per size), serves it with nginx
# and bench/slow_server.py on 127.0.0.1:$BENCH_PORT (18080) and +1, runs
# every scenario (bench/harness.py) and writes bench/results/latest.md
# (also printed). About 12 minutes on a 2-core machine; --quick (10k servers,
# 100 deletes, a 256 MiB image, fewer runs) about 2. --serve: only start the fixture and
# wait (OS_CLIENT_CONFIG_FILE=bench/fixture-data/clouds.yaml, clouds
# bench-c10k, bench-c100k, bench-slow); --profile: profile ostack-lua's
# 100k listing (bench/profile.sh; LUA_SRC=<Lua 5.4.4 sources> for symbols)
# instead of benchmarking.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
QUICK=0 SERVE=0 PROFILE=0
for a in "$@"; do
  case $a in
    --quick) QUICK=1 ;;
    --serve) SERVE=1 ;;
    --profile) PROFILE=1 ;;
    --only=*) ;;
    *) echo "usage: bench/run.sh [--quick] [--only=KEY,...] [--serve] [--profile]" >&2; exit 2 ;;
  esac
done

PORT=${BENCH_PORT:-18080}
SLOW_PORT=$((PORT + 1))
FIX=$ROOT/bench/fixture-data
SHM=/dev/shm/ostack-bench-$PORT
IMAGES=5000
if [ $QUICK = 1 ]; then IMAGE_BYTES=$((256 * 1024 * 1024)); else IMAGE_BYTES=$((1024 * 1024 * 1024)); fi

say() { echo "bench: $*" >&2; }

# ---- what it needs: Debian packages (installed here when missing, so a fresh
# machine runs it as is; the build tools come from tools/deps.sh), pkgcloud
# from npm into bench/node_modules
need=""
[ -x /usr/bin/time ] || need="$need time"
for pair in nginx:nginx-light hyperfine:hyperfine curl:curl lua5.4:lua5.4 node:nodejs npm:npm; do
  command -v "${pair%%:*}" >/dev/null || need="$need ${pair#*:}"
done
/usr/bin/python3 -c 'import openstack' 2>/dev/null || need="$need python3-openstacksdk"
if [ -n "$need" ]; then
  say "installing:$need"
  # keep the packages' services (nginx) from starting with default configs
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
  # shellcheck disable=SC2086  # one word per package
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $need >/dev/null
  if [ $made_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi
[ -x build/ostack-lua ] || tools/deps.sh
if [ ! -f bench/node_modules/pkgcloud/package.json ]; then
  say "installing pkgcloud 2.2.0 into bench/node_modules"
  (cd bench && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
[ -x build/ostack-lua ] || { say "building ostack-lua"; tools/build.sh; }

for p in $PORT $SLOW_PORT; do
  if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then say "port $p is in use (set BENCH_PORT)"; exit 1; fi
done

# ---- the fixture
mkdir -p "$FIX"
rm -rf "$SHM"
mkdir -p "$SHM/www" "$SHM/out" "$SHM/client-body"
NGINX_PID= SLOW_PID=
cleanup() {
  set +e
  for pid in $NGINX_PID $SLOW_PID; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$SHM"
}
trap cleanup EXIT

img=$FIX/image-$IMAGE_BYTES.bin
if [ ! -f "$img.sums" ] || [ "$(stat -c %s "$img" 2>/dev/null)" != "$IMAGE_BYTES" ]; then
  say "writing a $((IMAGE_BYTES / 1048576)) MiB random image"
  head -c $IMAGE_BYTES /dev/urandom >"$img"
  echo "$(md5sum <"$img" | cut -d' ' -f1) $(sha512sum <"$img" | cut -d' ' -f1)" >"$img.sums"
fi
read -r MD5 SHA512 <"$img.sums"
cp "$img" "$SHM/image.bin" # tmpfs: the transfers measure the clients, not the disk

clouds="c10k=10000"
[ $QUICK = 1 ] || clouds="$clouds c100k=100000"
say "fixture: $clouds, $IMAGES images"
# shellcheck disable=SC2086
lua5.4 bench/fixture.lua "$FIX" $PORT $SLOW_PORT "$SHM" $IMAGES $IMAGE_BYTES $MD5 $SHA512 $clouds
DL=$(sed -n 's/.*"download_id":"\([^"]*\)".*/\1/p' "$FIX/fixture.json")
mkdir -p "$SHM/www/c10k/image/v2/images/$DL"
ln "$SHM/image.bin" "$SHM/www/c10k/image/v2/images/$DL/file"

/usr/bin/python3 bench/slow_server.py $SLOW_PORT 20 &
SLOW_PID=$!
nginx -e "$SHM/nginx-start.log" -c "$FIX/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
for _ in $(seq 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/c10k/compute/v2.1" && break
  sleep 0.1
done
curl -sf -o /dev/null "http://127.0.0.1:$PORT/c10k/compute/v2.1" || { say "nginx did not start"; cat "$SHM"/nginx*.log >&2; exit 1; }
say "nginx (pid $NGINX_PID) on 127.0.0.1:$PORT, slow_server.py (pid $SLOW_PID) on $SLOW_PORT"

if [ $SERVE = 1 ]; then
  say "serving until interrupted (Ctrl-C): export OS_CLIENT_CONFIG_FILE=$FIX/clouds.yaml"
  trap 'exit 0' INT TERM
  wait "$NGINX_PID" || true
elif [ $PROFILE = 1 ]; then
  bench/profile.sh
else
  /usr/bin/python3 bench/harness.py "$@"
  say "results: bench/results/latest.md"
fi

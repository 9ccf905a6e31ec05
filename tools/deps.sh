#!/bin/bash
# deps.sh: installs, from Debian's archive, everything the project needs to
# build and test (the local cloud's packages are installed by
# tools/local-cloud/start.sh). Skips apt-get entirely when all are present.
set -euo pipefail
PKGS="build-essential cmake pkg-config lua5.4 liblua5.4-dev libcurl4-openssl-dev libssl-dev
 libreadline-dev lua-busted lua-cjson luarocks lua-ldoc curl openssl ca-certificates procps tmux
 clang libclang-rt-14-dev valgrind"
missing=""
for p in $PKGS; do
  [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == "install ok installed" ]] || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "[deps] installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
  # shellcheck disable=SC2086  # one word per package
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing >/tmp/ostack-deps.log 2>&1 \
    || { tail -30 /tmp/ostack-deps.log; exit 1; }
fi

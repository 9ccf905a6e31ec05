#!/bin/bash
# build.sh [DIR [cmake options...]]: configures and builds the project
# (default DIR: build) and fails on any compiler warning.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! cmake --build "$dir" -j"$(nproc)" >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
if grep -q "warning:" "$log"; then
  grep -A3 "warning:" "$log" >&2
  echo "build.sh: the build has compiler warnings" >&2
  exit 1
fi

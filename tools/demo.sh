#!/bin/bash
# demo.sh: the README's first command. Installs what is missing, builds,
# starts the local OpenStack cloud (if it is not running already) and runs
# the example automation script examples/boot_server.lua against it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tools/deps.sh
tools/build.sh build
tools/local-cloud/start.sh
export OS_CLIENT_CONFIG_FILE=${OSTACK_STATE:-/var/lib/ostack-cloud}/clouds.yaml
build/ostack-lua --os-cloud "${OS_CLOUD:-local-demo}" examples/boot_server.lua "$@"

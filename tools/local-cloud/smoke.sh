#!/bin/bash
# smoke.sh: quick end-to-end check of a running local cloud with the openstack CLI:
# lists in every service, a server booted on "private" (demo) and with no network
# (admin), a volume created and deleted. Prints PASS/FAIL per step; exits 1 on any FAIL.
# Usage: ./smoke.sh      (needs the clouds.yaml that start.sh writes)
# shellcheck disable=SC2317,SC2016  # functions run through step(); bash -c strings expand later
set -u
export PATH=/usr/bin:/bin:$PATH   # Debian's openstack CLI, not a pyenv/venv one
NAME="smoke-$$"
FAILED=0

step() { # description command...: run, report, remember failures
  local desc=$1 t=$EPOCHREALTIME out rc=0; shift
  out=$("$@" 2>&1) || rc=$?
  t=$(awk -v a="$t" -v b="$EPOCHREALTIME" 'BEGIN{printf "%5.1fs", b-a}')
  if [ $rc = 0 ]; then printf 'PASS %-48s %s\n' "$desc" "$t"
  else printf 'FAIL %-48s %s\n%s\n' "$desc" "$t" "$(tail -n 5 <<<"$out")"; FAILED=1; fi
}

admin() { openstack --os-cloud local-admin "$@"; }
demo() { openstack --os-cloud local-demo "$@"; }

server_active() { # cloud name: boot waits for ACTIVE; --wait also fails on ERROR
  [ "$(openstack --os-cloud "$1" server show -f value -c status "$2")" = ACTIVE ]
}

step "token (admin)" admin token issue
step "token (demo)" demo token issue
step "catalog has 7 services" bash -c '[ "$(openstack --os-cloud local-admin catalog list -f value -c Name | wc -l)" -ge 7 ]'
step "image list (tiny-image)" bash -c 'openstack --os-cloud local-demo image list -f value -c Name | grep -qx tiny-image'
step "flavor list (m1.nano)" bash -c 'openstack --os-cloud local-demo flavor list -f value -c Name | grep -qx m1.nano'
step "network list (private)" bash -c 'openstack --os-cloud local-demo network list -f value -c Name | grep -qx private'
step "volume list" demo volume list
step "compute service list" admin compute service list
step "server list" admin server list --all-projects

step "demo: boot on private (m1.nano, tiny-image)" demo server create --flavor m1.nano --image tiny-image \
  --network private --wait "$NAME-net"
step "demo: server ACTIVE with a 10.0.0.x address" bash -c \
  "openstack --os-cloud local-demo server show -f value -c addresses $NAME-net | grep -q 'private.*10\.0\.0\.'"
step "demo: delete server" demo server delete --wait "$NAME-net"

step "admin: boot with no network" admin --os-compute-api-version 2.37 server create --flavor m1.nano \
  --image tiny-image --nic none --wait "$NAME-nonet"
step "admin: server ACTIVE" server_active local-admin "$NAME-nonet"
step "admin: delete server" admin server delete --wait "$NAME-nonet"

step "demo: volume create (1 GB)" demo volume create --size 1 "$NAME-vol"
step "demo: volume available" bash -c "for i in \$(seq 60); do
  s=\$(openstack --os-cloud local-demo volume show -f value -c status $NAME-vol)
  [ \"\$s\" = available ] && exit 0; [ \"\$s\" = error ] && exit 1; sleep 1; done; exit 1"
step "demo: volume delete" demo volume delete "$NAME-vol"

if [ $FAILED = 0 ]; then echo "smoke: all passed"; else echo "smoke: FAILURES"; fi
exit $FAILED

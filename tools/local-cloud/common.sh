# common.sh: what start.sh, stop.sh and status.sh share — the state-dir layout,
# the pid file of the processes we started, and the service table. Sourced, not run.
# shellcheck shell=bash disable=SC2034  # the variables are used by the sourcing scripts

# The OpenStack tools and bootstrap.py need Debian's python3 (a pyenv or venv
# python3 earlier in PATH has none of the OpenStack libraries).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${OSTACK_STATE:-/var/lib/ostack-cloud}"
ETC="$STATE/etc"
LOG="$STATE/log"
RUN="$STATE/run"
PIDFILE="$RUN/pids"       # lines "<name> <pid> <starttime>"; each pid leads its own process group
SOCK="$RUN/mysqld/mysqld.sock"
HOSTIP=127.0.0.1
NOVA_COMPUTES="${OSTACK_COMPUTES:-2}"

# name:port:path of every HTTP API (name = pid-file name = log name)
HTTP_SERVICES="keystone:5000:/v3 glance-api:9292:/ placement-api:8778:/
 nova-api:8774:/ neutron-server:9696:/ cinder-api:8776:/"

# services without an HTTP port (only their processes can be checked from outside)
rpc_services() {
  echo nova-conductor nova-scheduler
  local n; for n in $(seq 1 "$NOVA_COMPUTES"); do echo "nova-compute-$n"; done
  echo cinder-scheduler cinder-volume
}

log() { echo "[$(date +%H:%M:%S)] $*"; }

# Start time of a pid in clock ticks since boot (field 22 of /proc/PID/stat):
# together with the pid it identifies *our* process even after pid reuse.
starttime() {
  local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }            # drop "pid (comm) ": comm may contain spaces
  # shellcheck disable=SC2086  # split into fields on purpose
  set -- $s
  echo "${20}"
}

recorded() { # name -> "pid starttime" from the pid file (empty if none)
  [ -f "$PIDFILE" ] && awk -v n="$1" '$1==n{p=$2" "$3} END{if(p)print p}' "$PIDFILE"
}

group_alive() { # pgid -> 0 if any process is still in that group
  ps -e -o pgid= | awk -v g="$1" '$1==g{f=1} END{exit !f}'
}

alive() { # name -> 0 if the recorded process (same pid *and* start time) still runs
  local rec pid st
  rec=$(recorded "$1"); [ -n "$rec" ] || return 1
  read -r pid st <<<"$rec"
  [ "$(starttime "$pid")" = "$st" ]
}

http_code() { # url -> HTTP status ("000" when nothing answers)
  curl -s -o /dev/null -m 3 -w '%{http_code}' "$1" 2>/dev/null || true
}

http_up() { # url -> 0 if a server answers without a 5xx
  local c; c=$(http_code "$1")
  [ "$c" != 000 ] && [ "$c" -lt 500 ]
}

mariadb_up() { mariadb-admin --no-defaults -uroot --socket="$SOCK" ping >/dev/null 2>&1; }

rabbitmq_up() { # AMQP port accepts a connection (bash /dev/tcp: no extra tool needed)
  (exec 3<>"/dev/tcp/$HOSTIP/5672") 2>/dev/null
}

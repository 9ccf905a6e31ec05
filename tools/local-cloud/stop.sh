#!/bin/bash
# stop.sh: stops exactly the processes that start.sh started, nothing else.
# start.sh launched each service with setsid, so its recorded pid leads a process
# group holding all its workers; only those groups are signalled (TERM, then KILL
# after a grace period). The OpenStack services go first, all together, because
# they need RabbitMQ and MariaDB to shut down cleanly; then RabbitMQ, epmd, MariaDB.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ours() { # name pid starttime -> 0 if that group is still the one we started
  if kill -0 "$2" 2>/dev/null; then
    # leader alive: it is ours only if it is the very process we started
    [ "$(starttime "$2")" = "$3" ]
  else
    # leader gone but workers may linger: a pgid is not reused while its group exists
    group_alive "$2"
  fi
}

stop_groups() { # grace-seconds pgid... : TERM all, wait, KILL leftovers
  local grace=$1 pgid left; shift
  for pgid in "$@"; do kill -TERM -- "-$pgid" 2>/dev/null; done
  for _ in $(seq 1 $((grace * 4))); do
    left=0; for pgid in "$@"; do group_alive "$pgid" && left=1; done
    [ $left = 0 ] && return; sleep 0.25
  done
  for pgid in "$@"; do
    group_alive "$pgid" && { kill -KILL -- "-$pgid" 2>/dev/null; echo "process group $pgid killed after ${grace}s"; }
  done
}

main() {
  [ -f "$PIDFILE" ] || { echo "no pid file $PIDFILE: nothing to stop"; exit 0; }
  local name pid st apps=() infra=()
  while read -r name pid st; do
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    if ! ours "$name" "$pid" "$st"; then echo "$name: not running"; continue; fi
    echo "$name: stopping (pgid $pid)"
    case $name in
      mariadb|epmd|rabbitmq) infra+=("$pid");;
      *) apps+=("$pid");;
    esac
  done < "$PIDFILE"
  [ ${#apps[@]} -gt 0 ] && stop_groups 20 "${apps[@]}"
  [ ${#infra[@]} -gt 0 ] && stop_groups 30 "${infra[@]}"   # independent of each other
  rm -f "$PIDFILE"
  log "stopped"
}
main "$@"

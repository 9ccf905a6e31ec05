#!/bin/bash
# status.sh: tells which services of the local cloud are up; exits 0 only when all are.
# APIs are checked over HTTP, MariaDB by a ping on its socket, RabbitMQ by a TCP
# connect, the services without a port by their recorded process.
# Usage: ./status.sh [-q] [--mem]    -q: no output (exit code only); --mem: RSS per service
set -u
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

QUIET=0 MEM=0
for opt in "$@"; do case $opt in
  -q) QUIET=1;; --mem) MEM=1;;
  *) echo "usage: $0 [-q] [--mem]" >&2; exit 2;; esac; done

DOWN=0 TOTAL_KB=0
report() { # name state detail
  [ "$2" = up ] || DOWN=1
  [ $QUIET = 1 ] && return
  local mem=""
  if [ $MEM = 1 ]; then
    # every process of the service is in the process group led by its recorded pid
    local pid kb n; read -r pid _ <<<"$(recorded "$1")"
    kb=$(ps -e -o pgid=,rss= | awk -v g="${pid:--1}" '$1==g{s+=$2} END{print s+0}')
    n=$(ps -e -o pgid= | awk -v g="${pid:--1}" '$1==g' | wc -l)
    TOTAL_KB=$((TOTAL_KB + kb))
    mem=$(awk -v k="$kb" -v n="$n" 'BEGIN{printf "%6.0f MiB in %d procs", k/1024, n}')
  fi
  printf '%-17s %-5s %-42s %s\n' "$1" "$2" "$3" "$mem"
}

if mariadb_up; then report mariadb up "unix socket $SOCK"; else report mariadb down "unix socket $SOCK"; fi
if rabbitmq_up; then report rabbitmq up "amqp://$HOSTIP:5672"; else report rabbitmq down "amqp://$HOSTIP:5672"; fi
if alive epmd; then report epmd up "$HOSTIP:4369"; else report epmd down "$HOSTIP:4369"; fi
for s in $HTTP_SERVICES; do
  IFS=: read -r name port path <<<"$s"
  url="http://$HOSTIP:$port$path"; code=$(http_code "$url")
  if [ "$code" != 000 ] && [ "$code" -lt 500 ]; then report "$name" up "$url (HTTP $code)"
  else report "$name" down "$url (HTTP $code)"; fi
done
for name in $(rpc_services); do
  if alive "$name"; then report "$name" up "pid $(recorded "$name" | cut -d' ' -f1)"
  else report "$name" down "not running"; fi
done
if [ $QUIET = 0 ] && [ $MEM = 1 ]; then
  awk -v k="$TOTAL_KB" 'BEGIN{printf "%-66s %6.0f MiB RSS (sum)\n", "TOTAL", k/1024}'
fi
if [ $QUIET = 0 ]; then
  if [ $DOWN = 0 ]; then echo "all up (state $STATE)"; else echo "NOT all up (state $STATE)"; fi
fi
exit $DOWN

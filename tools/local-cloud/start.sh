#!/bin/bash
# start.sh: brings up the project's local all-in-one OpenStack (Debian 12's Zed
# packages) on 127.0.0.1: installs the packages if missing, writes the configs,
# syncs the databases, bootstraps users/catalog/flavors/image/network the first
# time, and starts every service as a background process group (setsid, no systemd).
#
# Usage: ./start.sh [--no-install] [--force-setup] [--status]
#   --no-install   fail instead of running apt-get when packages are missing
#   --force-setup  redo configs, db syncs and bootstrap even if the setup stamp matches
#   --status       same as ./status.sh
# State: $OSTACK_STATE (default /var/lib/ostack-cloud). Stop with ./stop.sh.
# On a running cloud this is a quick no-op; after ./stop.sh it only restarts the
# processes (setup is skipped while $STATE/setup.stamp matches this recipe).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REGION=RegionOne
KS="http://$HOSTIP:5000"
RABBIT_URL="rabbit://guest:guest@$HOSTIP:5672/"
SERVICE_TIMEOUT=180        # seconds a service may take to answer (2 busy cores at first start)
T0=$(date +%s)

PKGS="mariadb-server python3-pymysql rabbitmq-server keystone glance-api
 nova-api nova-conductor nova-scheduler placement-api
 cinder-api cinder-scheduler cinder-volume neutron-server
 python3-openstacksdk python3-openstackclient uwsgi-plugin-python3 curl procps"

# ================================================================ failure reporting

fail() { # log-name message: say what failed, show the end of its log, exit non-zero
  echo "ERROR: $2" >&2
  if [ -f "$LOG/$1.log" ]; then
    echo "---- last 40 lines of $LOG/$1.log (this start only) ----" >&2
    # from launch()'s last "=== ... starts" marker on: older runs' lines would mislead
    tac "$LOG/$1.log" | sed '/^=== .* start\.sh starts /q' | tac | tail -n 40 >&2
    echo "---- end of $LOG/$1.log ----" >&2
  fi
  echo "(services already started keep running; ./stop.sh stops them)" >&2
  exit 1
}

# ================================================================ packages

missing_packages() {
  local p
  for p in $PKGS; do
    [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == "install ok installed" ]] || echo "$p"
  done
}

install_packages() {
  local missing; missing=$(missing_packages | tr '\n' ' ')
  [ -z "${missing// }" ] && return
  [ "${NO_INSTALL:-0}" = 1 ] && { echo "ERROR: missing packages: $missing" >&2; exit 1; }
  log "installing: $missing"
  # The packages' postinst scripts would start each service with its default config
  # (sqlite, 0.0.0.0, ...): a policy-rc.d that answers 101 forbids that. Ours is
  # removed afterwards (also on failure); one that was already there stays.
  local own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# ostack local-cloud: no service starts during install\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  local t; t=$(date +%s)
  export DEBIAN_FRONTEND=noninteractive
  # Lock::Timeout: wait for another apt run instead of failing at once
  apt-get -o DPkg::Lock::Timeout=900 update -q >"$LOG/apt.log" 2>&1 || fail apt "apt-get update failed"
  # shellcheck disable=SC2086  # word splitting of the package list is intended
  apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends $missing >>"$LOG/apt.log" 2>&1 \
    || fail apt "apt-get install failed"
  if [ $own_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
  log "packages installed in $(( $(date +%s) - t ))s"
}

# ================================================================ state, credentials, stamp

prepare_state() {
  mkdir -p "$ETC" "$LOG" "$RUN" "$STATE/pylib"
  touch "$PIDFILE"
  # the running cloud uses its own copy: edits in the checkout do not change it under way
  cp -r "$HERE"/pylib/. "$STATE/pylib/"
}

load_credentials() {
  # chosen once (env overrides at the first start), then kept with the state, so
  # later starts write the same client files whatever the environment says
  local f="$STATE/credentials"
  if [ ! -f "$f" ]; then
    ( umask 077
      printf 'ADMIN_PASS=%q\nDEMO_PASS=%q\nSVC_PASS=%q\nDB_PASS=%q\n' \
        "${OSTACK_ADMIN_PASS:-admin-secret}" "${OSTACK_DEMO_PASS:-demo-secret}" \
        "${OSTACK_SERVICE_PASS:-service-secret}" "${OSTACK_DB_PASS:-db-secret}" > "$f" )
  fi
  # shellcheck source=/dev/null
  source "$f"
  # admin credentials for bootstrap.py (and any openstack CLI call below)
  export OS_AUTH_URL="$KS/v3" OS_USERNAME=admin OS_PASSWORD="$ADMIN_PASS" OS_PROJECT_NAME=admin \
    OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_IDENTITY_API_VERSION=3 \
    OS_REGION_NAME=$REGION OSTACK_DEMO_PASS="$DEMO_PASS" OSTACK_SERVICE_PASS="$SVC_PASS" \
    OSTACK_HOSTIP=$HOSTIP OSTACK_STATE="$STATE"
  unset OS_CLOUD
}

recipe_stamp() { # changes when this recipe or the service packages change
  local sum vers
  sum=$(cat "$HERE"/start.sh "$HERE"/common.sh "$HERE"/bootstrap.py "$HERE"/pylib/*.py | md5sum | cut -c1-32)
  vers=$(dpkg-query -W -f='${Version} ' keystone glance-api nova-api placement-api cinder-api neutron-server)
  echo "$sum $vers computes=$NOVA_COMPUTES"
}

# ================================================================ process helpers

launch() { # name command...: start in its own session/process group, record it
  # stdout/stderr go to $LOG/<name>.log, the file the OpenStack services also log to
  # (log_file / --log-file: a file handler, no colour codes), so early crashes and
  # the service's own log end up in the one file whose tail fail() shows
  local name=$1; shift
  alive "$name" && return 0
  sed -i "/^$name /d" "$PIDFILE"
  echo "=== $(date '+%F %T') start.sh starts $name" >> "$LOG/$name.log"
  # In a non-interactive script a background job is not a group leader, so setsid
  # needs no fork: $! is the new session's (and process group's) leader.
  setsid "$@" >>"$LOG/$name.log" 2>&1 </dev/null &
  echo "$name $! $(starttime $!)" >> "$PIDFILE"
}

wait_http() { # name url: until the API answers; fail early if its process died
  local name=$1 url=$2 end=$(( $(date +%s) + SERVICE_TIMEOUT ))
  while true; do
    alive "$name" || fail "$name" "$name exited (it did not answer on $url)"
    http_up "$url" && return
    [ "$(date +%s)" -lt "$end" ] || fail "$name" "$name did not answer on $url within ${SERVICE_TIMEOUT}s"
    sleep 1
  done
}

running_services() { # 0 if any recorded service still runs
  local name
  while read -r name _; do alive "$name" && return 0; done < "$PIDFILE"
  return 1
}

check_all_alive() { # a service that died after answering (e.g. lost a port race) is a failure too
  local name
  while read -r name _; do
    alive "$name" || fail "$name" "$name exited"
  done < "$PIDFILE"
}

sql() { mariadb --no-defaults -uroot --socket="$SOCK" -N -B -e "$1"; }
dburl() { echo "mysql+pymysql://$1:$DB_PASS@localhost/$1?unix_socket=$SOCK&charset=utf8"; }

uwsgi_app() { # name port processes wsgi-script
  local name=$1 port=$2 procs=$3 file=$4
  # "Connection: close": --http-socket closes after every response without saying
  # so, and keystoneauth/requests would reuse the connection (ConnectionResetError)
  launch "$name" uwsgi --plugins python3 --http-socket "$HOSTIP:$port" --wsgi-file "$file" \
    --master --processes "$procs" --threads 1 --enable-threads --lazy-apps \
    --die-on-term --no-orphans --buffer-size 65535 --add-header "Connection: close" \
    --procname-prefix-spaced "ostack-$name"
}

# Setup steps run as background jobs, each logging to $LOG/setup-<step>.log: the db
# syncs are independent, and a job's failure is still caught by "wait" (a "|| fail"
# around a subshell would switch off set -e inside it).
SETUP_PIDS=() SETUP_STEPS=()
setup_async() { # step...: start setup_<step> in the background
  local step
  for step in "$@"; do
    ( set -e; "setup_$step" ) >"$LOG/setup-$step.log" 2>&1 &
    SETUP_PIDS+=("$!"); SETUP_STEPS+=("$step")
  done
}
setup_wait() { # [step...]: wait for these background steps (default: all); fail if one failed
  local i bad="" want=" ${*:-${SETUP_STEPS[*]}} "
  for i in "${!SETUP_PIDS[@]}"; do
    [[ "$want" == *" ${SETUP_STEPS[$i]} "* ]] || continue
    wait "${SETUP_PIDS[$i]}" || bad=${bad:-${SETUP_STEPS[$i]}}
    unset "SETUP_PIDS[$i]" "SETUP_STEPS[$i]"
  done
  [ -z "$bad" ] || fail "setup-$bad" "setup step '$bad' failed"
}

# ================================================================ MariaDB

start_mariadb() {
  mkdir -p "$STATE/mysql" "$RUN/mysqld"
  chown mysql:mysql "$STATE/mysql" "$RUN/mysqld"
  if [ ! -d "$STATE/mysql/mysql" ]; then
    mariadb-install-db --no-defaults --user=mysql --datadir="$STATE/mysql" \
      --auth-root-authentication-method=socket --skip-test-db > "$LOG/setup-mariadb.log" 2>&1 \
      || fail setup-mariadb "mariadb-install-db failed"
  fi
  # --no-defaults: /etc/mysql is not ours; --skip-networking: unix socket only.
  # One server for all: nova's five processes and neutron write concurrently (no sqlite).
  launch mariadb /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$STATE/mysql" \
    --socket="$SOCK" --skip-networking --pid-file="$RUN/mysqld/mysqld.pid" \
    --character-set-server=utf8 --collation-server=utf8_general_ci \
    --max-connections=2000 --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 \
    --skip-name-resolve
  local end=$(( $(date +%s) + 60 ))
  until mariadb_up; do
    alive mariadb || fail mariadb "mariadb exited"
    [ "$(date +%s)" -lt "$end" ] || fail mariadb "mariadb did not answer within 60s"
    sleep 0.5
  done
}

create_db() { # name: database + user of the same name (idempotent)
  sql "CREATE DATABASE IF NOT EXISTS $1 CHARACTER SET utf8;
       CREATE USER IF NOT EXISTS '$1'@'localhost' IDENTIFIED BY '$DB_PASS';
       GRANT ALL PRIVILEGES ON $1.* TO '$1'@'localhost';"
}

# ================================================================ RabbitMQ

rabbit_env() { # everything under the state dir, loopback only, logs to stdout
  export HOME="$STATE/rabbitmq" RABBITMQ_NODENAME=ostack@localhost \
    RABBITMQ_NODE_IP_ADDRESS=$HOSTIP RABBITMQ_NODE_PORT=5672 RABBITMQ_DIST_PORT=25672 \
    RABBITMQ_MNESIA_BASE="$STATE/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$LOG/rabbitmq" \
    RABBITMQ_LOGS=- RABBITMQ_PID_FILE="$RUN/rabbitmq.pid" \
    RABBITMQ_CONFIG_FILE="$STATE/rabbitmq/rabbitmq.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$STATE/rabbitmq/enabled_plugins" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    ERL_EPMD_ADDRESS=$HOSTIP ERL_EPMD_PORT=4369
}

start_rabbitmq() { # returns at once; wait_rabbitmq waits (it boots while keystone is set up)
  mkdir -p "$STATE/rabbitmq" "$LOG/rabbitmq"
  echo "[]." > "$STATE/rabbitmq/enabled_plugins"
  printf 'listeners.tcp.default = %s:5672\nloopback_users.guest = true\n' "$HOSTIP" \
    > "$STATE/rabbitmq/rabbitmq.conf"
  ( rabbit_env   # in a subshell: HOME and RABBITMQ_* are for rabbitmq only
    # our own epmd in the foreground, so that its pid is recorded and stopped with the rest
    launch epmd /usr/bin/epmd -address $HOSTIP -port 4369
    launch rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server )
}

wait_rabbitmq() {
  local end=$(( $(date +%s) + 120 ))
  until ( rabbit_env; /usr/lib/rabbitmq/bin/rabbitmqctl -q await_startup -t 5 ) >/dev/null 2>&1; do
    alive rabbitmq || fail rabbitmq "rabbitmq exited"
    [ "$(date +%s)" -lt "$end" ] || fail rabbitmq "rabbitmq did not start within 120s"
    sleep 1
  done
}

# ================================================================ config snippets

authtoken() { # service-user: [keystone_authtoken] (no memcached: in-process token cache)
  cat <<EOC
[keystone_authtoken]
www_authenticate_uri = $KS
auth_url = $KS
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $SVC_PASS
region_name = $REGION
service_token_roles = service
service_token_roles_required = true
EOC
}

ksauth() { # section user: keystoneauth password section (for service-to-service calls)
  cat <<EOC
[$1]
auth_type = password
auth_url = $KS
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $2
password = $SVC_PASS
region_name = $REGION
EOC
}

# Zed defaults, spelled out: the demo user has the plain member + reader roles
POLICY="[oslo_policy]
enforce_scope = false
enforce_new_defaults = false"

# ================================================================ Keystone

setup_keystone() {
  mkdir -p "$ETC/keystone"
  # private key dirs: keystone warns on every request about world-readable ones
  install -d -m 700 "$STATE/keystone/fernet-keys" "$STATE/keystone/credential-keys"
  create_db keystone
  cat > "$ETC/keystone/keystone.conf" <<EOC
[database]
connection = $(dburl keystone)
[token]
provider = fernet
expiration = 86400
[fernet_tokens]
key_repository = $STATE/keystone/fernet-keys
[credential]
key_repository = $STATE/keystone/credential-keys
[identity]
# bcrypt's minimum: every authentication checks a hash; the default 12 rounds cost
# ~0.25 s of CPU each time (applies to passwords set after this file is written)
password_hash_rounds = 4
[cache]
# without a cache one token validation runs ~300 SQL queries (~0.4 s); with the
# in-process cache ~10 ms. In-process means one uwsgi process (see start_keystone).
enabled = true
backend = dogpile.cache.memory
EOC
  printf '[DEFAULT]\nlog_file = %s\n' "$LOG/keystone.log" > "$ETC/keystone/keystone-api.conf"
  local km="keystone-manage --config-file $ETC/keystone/keystone.conf"
  $km db_sync
  [ -f "$STATE/keystone/fernet-keys/0" ] || $km fernet_setup --keystone-user root --keystone-group root
  [ -f "$STATE/keystone/credential-keys/0" ] || $km credential_setup --keystone-user root --keystone-group root
  # admin user/project/role, region and the identity endpoints (idempotent)
  $km bootstrap --bootstrap-password "$ADMIN_PASS" --bootstrap-username admin \
    --bootstrap-project-name admin --bootstrap-role-name admin --bootstrap-service-name keystone \
    --bootstrap-region-id $REGION --bootstrap-admin-url "$KS/v3" \
    --bootstrap-internal-url "$KS/v3" --bootstrap-public-url "$KS/v3"
}

start_keystone() {
  # a single process: its memory cache is invalidated only in the process that made
  # a change, so a second process would serve stale roles/tokens for minutes
  OS_KEYSTONE_CONFIG_DIR="$ETC/keystone" OS_KEYSTONE_CONFIG_FILES="keystone.conf;keystone-api.conf" \
    uwsgi_app keystone 5000 1 /usr/bin/keystone-wsgi-public
}

setup_identity() { /usr/bin/python3 "$HERE/bootstrap.py" identity; }

setup_resources() { # after the APIs answer
  /usr/bin/python3 "$HERE/bootstrap.py" resources
  /usr/bin/python3 "$HERE/bootstrap.py" network
}

# ================================================================ Glance

setup_glance() {
  mkdir -p "$ETC/glance" "$STATE/glance/images" "$STATE/glance/staging" "$STATE/glance/tasks"
  create_db glance
  cp /etc/glance/glance-api-paste.ini "$ETC/glance/"
  # multi-store "fs" plus the staging/tasks stores, so glance-direct import works
  cat > "$ETC/glance/glance-api.conf" <<EOC
[DEFAULT]
bind_host = $HOSTIP
bind_port = 9292
workers = 1
enabled_backends = fs:file
show_image_direct_url = false
[database]
connection = $(dburl glance)
$(authtoken glance)
[paste_deploy]
flavor = keystone
config_file = $ETC/glance/glance-api-paste.ini
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $STATE/glance/images/
[os_glance_staging_store]
filesystem_store_datadir = $STATE/glance/staging/
[os_glance_tasks_store]
filesystem_store_datadir = $STATE/glance/tasks/
[oslo_concurrency]
lock_path = $STATE/glance/lock
$POLICY
EOC
  glance-manage --config-file "$ETC/glance/glance-api.conf" db_sync
}

start_glance() {
  launch glance-api glance-api --config-file "$ETC/glance/glance-api.conf" --log-file "$LOG/glance-api.log"
}

# ================================================================ Placement

setup_placement() {
  mkdir -p "$ETC/placement"
  create_db placement
  # the wsgi app reads only this file: placement-manage logs to the same log
  cat > "$ETC/placement/placement.conf" <<EOC
[DEFAULT]
log_file = $LOG/placement-api.log
[api]
auth_strategy = keystone
[placement_database]
connection = $(dburl placement)
$(authtoken placement)
EOC
  placement-manage --config-file "$ETC/placement/placement.conf" db sync
}

start_placement() {
  OS_PLACEMENT_CONFIG_DIR="$ETC/placement" uwsgi_app placement-api 8778 2 /usr/bin/placement-api
}

# ================================================================ Nova

compute_host() { if [ "$1" = 1 ]; then echo aio; else echo "aio$1"; fi; }
nova_manage() { nova-manage --config-file "$ETC/nova/nova.conf" --config-file "$ETC/nova/nova-db.conf" "$@"; }

setup_nova() {
  mkdir -p "$ETC/nova" "$STATE/nova/instances" "$STATE/nova/lock"
  create_db nova_api; create_db nova; create_db nova_cell0
  cp /etc/nova/api-paste.ini "$ETC/nova/"
  # compute_driver: nova's fake driver + snapshot upload (pylib/ostack_fakevirt.py).
  # Quotas are raised so that tests can create many servers; resize may stay on
  # one host; volume detach needs service tokens (OSSA-2023-003 fix in Debian's nova).
  cat > "$ETC/nova/nova.conf" <<EOC
[DEFAULT]
host = aio
my_ip = $HOSTIP
state_path = $STATE/nova
instances_path = $STATE/nova/instances
transport_url = $RABBIT_URL
compute_driver = ostack_fakevirt.FakeDriver
allow_resize_to_same_host = true
osapi_compute_workers = 2
metadata_workers = 1
heal_instance_info_cache_interval = -1
[api]
auth_strategy = keystone
$(authtoken nova)
$(ksauth placement nova)
$(ksauth neutron nova)
service_metadata_proxy = false
$(ksauth service_user nova)
send_service_user_token = true
$(ksauth cinder nova)
os_region_name = $REGION
[glance]
region_name = $REGION
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = 30
[filter_scheduler]
track_instance_changes = true
[quota]
instances = 1000
cores = 4000
ram = 8192000
[wsgi]
api_paste_config = $ETC/nova/api-paste.ini
[oslo_concurrency]
lock_path = $STATE/nova/lock
[oslo_messaging_notifications]
driver = noop
[vnc]
enabled = false
[spice]
enabled = false
$POLICY
EOC
  # database access only for api/conductor/scheduler/nova-manage: nova-compute
  # refuses to run with it
  cat > "$ETC/nova/nova-db.conf" <<EOC
[api_database]
connection = $(dburl nova_api)
[database]
connection = $(dburl nova)
EOC
  printf '[DEFAULT]\nlog_file = %s\n' "$LOG/nova-api.log" > "$ETC/nova/nova-api.conf"
  local n
  for n in $(seq 1 "$NOVA_COMPUTES"); do
    printf '[DEFAULT]\nhost = %s\n' "$(compute_host "$n")" > "$ETC/nova/nova-compute-$n.conf"
  done
  nova_manage api_db sync
  local cells; cells=$(nova_manage cell_v2 list_cells 2>/dev/null || true)
  # here-strings, not "| grep -q": with pipefail, grep's early exit makes the
  # writer die of SIGPIPE and the test fail (create_cell then ran twice)
  grep -q ' cell0 ' <<<"$cells" || nova_manage cell_v2 map_cell0 --database_connection "$(dburl nova_cell0)"
  grep -q ' cell1 ' <<<"$cells" || nova_manage cell_v2 create_cell --name cell1
  nova_manage db sync
}

start_nova() {
  OS_NOVA_CONFIG_DIR="$ETC/nova" OS_NOVA_CONFIG_FILES="api-paste.ini;nova.conf;nova-db.conf;nova-api.conf" \
    uwsgi_app nova-api 8774 2 /usr/bin/nova-api-wsgi
  local svc n
  for svc in conductor scheduler; do
    launch "nova-$svc" "/usr/bin/nova-$svc" --config-file "$ETC/nova/nova.conf" \
      --config-file "$ETC/nova/nova-db.conf" --log-file "$LOG/nova-$svc.log"
  done
  # several fake hypervisors (hosts aio, aio2, ...) so that migrations have a target
  for n in $(seq 1 "$NOVA_COMPUTES"); do
    launch "nova-compute-$n" /usr/bin/python3 "$STATE/pylib/ostack_nova_compute.py" \
      --config-file "$ETC/nova/nova.conf" --config-file "$ETC/nova/nova-compute-$n.conf" \
      --log-file "$LOG/nova-compute-$n.log"
  done
}

map_compute_hosts() { # put the fake hypervisors into cell1 (first start only, in effect)
  local nodes mapped
  nodes=$(sql "SELECT COUNT(*) FROM nova.compute_nodes WHERE deleted=0")
  [ "$nodes" -ge "$NOVA_COMPUTES" ] || fail nova-compute-1 "only $nodes of $NOVA_COMPUTES compute nodes registered"
  mapped=$(sql "SELECT COUNT(*) FROM nova_api.host_mappings")
  [ "$mapped" -ge "$NOVA_COMPUTES" ] && return
  nova_manage cell_v2 discover_hosts >> "$LOG/setup-nova.log" 2>&1 \
    || fail setup-nova "nova-manage cell_v2 discover_hosts failed"
}

# ================================================================ Neutron (ML2, no agents)

setup_neutron() {
  mkdir -p "$ETC/neutron" "$STATE/neutron/lock"
  create_db neutron
  cp /etc/neutron/api-paste.ini "$ETC/neutron/"
  # fakebind (pylib/ostack_fakebind.py) binds every port without an agent: every
  # ML2 driver in the package needs one, and unbound ports fail server builds
  cat > "$ETC/neutron/neutron.conf" <<EOC
[DEFAULT]
bind_host = $HOSTIP
bind_port = 9696
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
api_workers = 1
rpc_workers = 0
rpc_state_report_workers = 0
transport_url = $RABBIT_URL
api_paste_config = $ETC/neutron/api-paste.ini
state_path = $STATE/neutron
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
dhcp_agent_notification = false
allow_overlapping_ips = true
[database]
connection = $(dburl neutron)
$(authtoken neutron)
[oslo_concurrency]
lock_path = $STATE/neutron/lock
[oslo_messaging_notifications]
driver = noop
$POLICY
[ml2]
type_drivers = flat,vlan,vxlan,local
tenant_network_types = vxlan
mechanism_drivers = fakebind
extension_drivers = port_security
[ml2_type_flat]
flat_networks = *
[ml2_type_vlan]
network_vlan_ranges = physnet1:100:199
[ml2_type_vxlan]
vni_ranges = 1:10000
[securitygroup]
enable_security_group = true
firewall_driver = noop
EOC
  neutron-db-manage --config-file "$ETC/neutron/neutron.conf" upgrade heads
}

start_neutron() {
  # pylib holds ostack_fakebind and its entry-point metadata (dist-info)
  PYTHONPATH="$STATE/pylib" launch neutron-server /usr/bin/neutron-server \
    --config-file "$ETC/neutron/neutron.conf" --log-file "$LOG/neutron-server.log"
}

# ================================================================ Cinder (fake volume driver)

setup_cinder() {
  mkdir -p "$ETC/cinder" "$STATE/cinder/lock" "$STATE/cinder/volumes"
  create_db cinder
  # FakeLoggingVolumeDriver from python3-cinder (+ extend/upload, pylib/ostack_fakevol.py):
  # no LVM, no loop device, no iSCSI target (target_helper = fake)
  cat > "$ETC/cinder/cinder.conf" <<EOC
[DEFAULT]
my_ip = $HOSTIP
host = aio
state_path = $STATE/cinder
transport_url = $RABBIT_URL
auth_strategy = keystone
api_paste_config = /etc/cinder/api-paste.ini
osapi_volume_listen = $HOSTIP
osapi_volume_listen_port = 8776
osapi_volume_workers = 1
enabled_backends = fake
default_volume_type = __DEFAULT__
rootwrap_config = /etc/cinder/rootwrap.conf
[database]
connection = $(dburl cinder)
$(authtoken cinder)
$(ksauth nova cinder)
$(ksauth service_user cinder)
send_service_user_token = true
[oslo_concurrency]
lock_path = $STATE/cinder/lock
[oslo_messaging_notifications]
driver = noop
$POLICY
[fake]
volume_driver = ostack_fakevol.FakeVolumeDriver
volume_backend_name = fake
target_helper = fake
EOC
  cinder-manage --config-file "$ETC/cinder/cinder.conf" db sync
}

start_cinder() {
  local svc
  for svc in api scheduler volume; do
    PYTHONPATH="$STATE/pylib" launch "cinder-$svc" "/usr/bin/cinder-$svc" \
      --config-file "$ETC/cinder/cinder.conf" --log-file "$LOG/cinder-$svc.log"
  done
}

# ================================================================ readiness

wait_apis() {
  local s name port path
  for s in $HTTP_SERVICES; do
    IFS=: read -r name port path <<<"$s"
    wait_http "$name" "http://$HOSTIP:$port$path"
  done
}

heartbeat_query() { # name since -> SQL counting that service's heartbeats since <since>
  local name=$1 since=$2 db binary host=aio
  case $name in
    nova-compute-*) db=nova binary=nova-compute host=$(compute_host "${name#nova-compute-}");;
    nova-*) db=nova binary=$name;;
    cinder-volume) db=cinder binary=$name host=aio@fake;;
    cinder-*) db=cinder binary=$name;;
  esac
  echo "SELECT COUNT(*) FROM $db.services WHERE deleted=0 AND \`binary\`='$binary'
        AND host='$host' AND updated_at >= '$since'"
}

wait_heartbeats() { # since (UTC): until every RPC service has reported itself in the db
  local since=$1 name end=$(( $(date +%s) + SERVICE_TIMEOUT ))
  for name in $(rpc_services); do
    # services report every 10 s (report_interval); a live process is not enough:
    # a nova-compute that cannot reach the conductor never reports
    until [ "$(sql "$(heartbeat_query "$name" "$since")")" -ge 1 ]; do
      alive "$name" || fail "$name" "$name exited"
      [ "$(date +%s)" -lt "$end" ] || fail "$name" "$name did not report as up within ${SERVICE_TIMEOUT}s"
      sleep 1
    done
  done
}

# ================================================================ client files

write_if_changed() { # path: stdin -> path, untouched when equal; private, since these hold passwords
  local tmp; tmp=$(mktemp)
  cat > "$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
  chmod 600 "$1"
}

clouds_yaml() {
  local who pw
  echo "clouds:"
  for who in admin demo; do
    pw=$ADMIN_PASS; [ $who = demo ] && pw=$DEMO_PASS
    cat <<EOC
  local-$who:
    auth:
      auth_url: $KS/v3
      username: $who
      password: $pw
      project_name: $who
      user_domain_name: Default
      project_domain_name: Default
    region_name: $REGION
    identity_api_version: 3
    interface: public
EOC
  done
}

openrc() { # who password
  cat <<EOC
export OS_AUTH_URL=$KS/v3
export OS_USERNAME=$1
export OS_PASSWORD=$2
export OS_PROJECT_NAME=$1
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_IDENTITY_API_VERSION=3
export OS_REGION_NAME=$REGION
export OS_INTERFACE=public
unset OS_CLOUD
EOC
}

write_client_files() {
  mkdir -p /etc/openstack
  # /etc/openstack is in every client's search path, so OS_CLOUD=local-admin works anywhere
  clouds_yaml | write_if_changed "$STATE/clouds.yaml"
  clouds_yaml | write_if_changed /etc/openstack/clouds.yaml
  openrc admin "$ADMIN_PASS" | write_if_changed "$STATE/openrc-admin"
  openrc demo "$DEMO_PASS" | write_if_changed "$STATE/openrc-demo"
}

# ================================================================ main

start_all() { # setup: 1 = configs, db syncs and bootstrap too
  local setup=$1 since
  start_mariadb
  start_rabbitmq          # boots while the databases are set up
  if [ "$setup" = 1 ]; then
    # only the catalog (identity) needs keystone running; the rest starts at once
    setup_async glance placement nova neutron cinder keystone
    setup_wait keystone
  fi
  start_keystone
  wait_http keystone "$KS/v3"
  if [ "$setup" = 1 ]; then
    setup_async identity
    setup_wait
    log "configs written, databases synced, keystone bootstrapped"
  fi
  wait_rabbitmq
  since=$(date -u '+%F %T')
  start_glance; start_placement; start_neutron; start_nova; start_cinder
  wait_apis
  log "all APIs answer"
  # flavors, image, network need only the APIs: made while the RPC services report in
  [ "$setup" = 1 ] && setup_async resources
  wait_heartbeats "$since"
  map_compute_hosts
  log "all services reported in"
  if [ "$setup" = 1 ]; then setup_wait; log "flavors, image and network created"; fi
  check_all_alive
}

main() {
  local opt
  for opt in "$@"; do case $opt in
    --no-install) NO_INSTALL=1;;
    --force-setup) FORCE_SETUP=1;;
    --status) exec "$HERE/status.sh";;
    *) echo "usage: $0 [--no-install] [--force-setup] [--status]" >&2; exit 2;;
  esac; done
  [ "$(id -u)" = 0 ] || { echo "ERROR: run as root (packages, mysql/rabbitmq users, /etc/openstack)" >&2; exit 1; }

  if [ "${FORCE_SETUP:-0}" = 0 ] && [ -f "$STATE/setup.stamp" ] && "$HERE/status.sh" -q; then
    load_credentials
    write_client_files
    [ "$(cat "$STATE/setup.stamp")" = "$(recipe_stamp)" ] \
      || log "note: the recipe changed since setup; ./stop.sh && ./start.sh applies it"
    log "already running (./status.sh for details); nothing to do"
    exit 0
  fi

  mkdir -p "$LOG"
  install_packages
  prepare_state
  load_credentials
  log "state dir: $STATE"
  local stamp setup=1
  stamp=$(recipe_stamp)
  if [ "${FORCE_SETUP:-0}" = 0 ] && [ -f "$STATE/setup.stamp" ] && [ "$(cat "$STATE/setup.stamp")" = "$stamp" ]; then
    setup=0
    log "setup done before (stamp matches): starting the services only"
  else
    rm -f "$STATE/setup.stamp"
    running_services && log "note: services that already run keep their old configuration;" \
      "./stop.sh && ./start.sh restarts them with the new one"
  fi
  start_all "$setup"
  write_client_files
  [ "$setup" = 1 ] && echo "$stamp" > "$STATE/setup.stamp"
  log "cloud up in $(( $(date +%s) - T0 ))s; OS_CLOUD=local-admin or local-demo" \
    "(clouds.yaml in /etc/openstack and $STATE)"
}

main "$@"

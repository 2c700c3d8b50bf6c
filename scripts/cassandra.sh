#!/usr/bin/env bash
# cassandra.sh — two real single-node Apache Cassandra 5.0 clusters for tests:
# Origin and Target, each with its own cluster name, address and ports.
#
#   cassandra.sh up   [origin|target|all]   fetch (once), start, wait for CQL
#   cassandra.sh down [origin|target|all]   stop and wipe the node's data
#   cassandra.sh stop  origin|target        stop, keep the data
#   cassandra.sh start origin|target        start again on the kept data
#   cassandra.sh status                     one line per node
#   cassandra.sh info                       connection info as key=value lines
#   cassandra.sh fetch                      only fetch Cassandra into the cache
#
# Environment (defaults in brackets):
#   CASSANDRA_VERSION [5.0.9]   org.apache.cassandra:cassandra-all from Maven Central
#   CASSANDRA_CACHE   [/var/cache/zdmctl-cassandra]  jars, reused by later runs
#   CASSANDRA_RUN_DIR [/tmp/zdmctl-cassandra]        config, data, logs, pids
#   ORIGIN_ADDR [127.0.0.2]  TARGET_ADDR [127.0.0.3]
#   ORIGIN_PORT [9042]       TARGET_PORT [9042, or 9043 when both share an address]
#   ORIGIN_STORAGE_PORT [7000] TARGET_STORAGE_PORT [7000, or 7001 on a shared address]
#   ORIGIN_JMX_PORT [7199]   TARGET_JMX_PORT [7299]   (JMX binds to 127.0.0.1 only)
#   ORIGIN_AUTH [0]          1 = PasswordAuthenticator on Origin too
#   TARGET_AUTH [1]          Target always uses PasswordAuthenticator by default
#   CASSANDRA_HEAP [768M]    CASSANDRA_START_TIMEOUT [240] seconds per node
# TLS: each node's native port also takes TLS (client_encryption_options,
# optional), with a certificate for its address from a test CA made at the
# first start ($CASSANDRA_RUN_DIR/tls/ca.pem, `info` prints it as tls_ca).
# TLS clients must present a certificate from that CA (mutual TLS): one is
# made for them (tls_client_cert, tls_client_key). Plain clients are as before.
# A node's address, ports and auth stick from its first start until `down`.
#
# Credentials: with PasswordAuthenticator the nodes keep Cassandra's default
# superuser cassandra/cassandra (test-only, well known); no other role is made.
set -euo pipefail

VERSION=${CASSANDRA_VERSION:-5.0.9}
CACHE=${CASSANDRA_CACHE:-/var/cache/zdmctl-cassandra}
RUN=${CASSANDRA_RUN_DIR:-/tmp/zdmctl-cassandra}
HEAP=${CASSANDRA_HEAP:-768M}
START_TIMEOUT=${CASSANDRA_START_TIMEOUT:-240}
LIB=$CACHE/$VERSION/lib
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

ORIGIN_ADDR=${ORIGIN_ADDR:-127.0.0.2}
TARGET_ADDR=${TARGET_ADDR:-127.0.0.3}
ORIGIN_PORT=${ORIGIN_PORT:-9042}
ORIGIN_STORAGE_PORT=${ORIGIN_STORAGE_PORT:-7000}
if [[ $ORIGIN_ADDR == "$TARGET_ADDR" ]]; then
	TARGET_PORT=${TARGET_PORT:-$((ORIGIN_PORT + 1))}
	TARGET_STORAGE_PORT=${TARGET_STORAGE_PORT:-$((ORIGIN_STORAGE_PORT + 1))}
else
	TARGET_PORT=${TARGET_PORT:-9042}
	TARGET_STORAGE_PORT=${TARGET_STORAGE_PORT:-7000}
fi
ORIGIN_JMX_PORT=${ORIGIN_JMX_PORT:-7199}
TARGET_JMX_PORT=${TARGET_JMX_PORT:-7299}
ORIGIN_AUTH=${ORIGIN_AUTH:-0}
TARGET_AUTH=${TARGET_AUTH:-1}

# A node's settings stick to its run directory from its first start until
# `down`: stop/start, status and info then need no environment, and a node
# restarted on kept data keeps its address and ports.
FIELDS=(ADDR PORT STORAGE_PORT JMX_PORT AUTH)
for _node in ORIGIN TARGET; do
	_f=$RUN/${_node,,}/node.env
	[[ -f $_f ]] || continue
	while IFS='=' read -r _k _v; do
		[[ " ${FIELDS[*]} " == *" $_k "* ]] || continue
		_var=${_node}_$_k
		if [[ ${!_var} != "$_v" ]]; then
			[[ ${1:-} == up || ${1:-} == start ]] &&
				printf '[cassandra] %s: keeping %s=%s from %s (run down to change it)\n' "${_node,,}" "$_var" "$_v" "$_f" >&2
			printf -v "$_var" '%s' "$_v"
		fi
	done <"$_f"
done
unset _node _f _k _v _var

log() { printf '[cassandra] %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

# node_var NODE FIELD -> value of e.g. ORIGIN_ADDR
node_var() {
	local v="${1^^}_$2"
	printf '%s' "${!v}"
}

cluster_name() { printf 'zdm-%s' "$1"; }

# ---------------------------------------------------------------- fetch

fetch() {
	local dir=$CACHE/$VERSION
	if [[ -f $dir/.complete && -f $LIB/cassandra-all-$VERSION.jar ]]; then
		return 0
	fi
	command -v mvn >/dev/null || die "mvn not found (apt-get install -y maven)"
	mkdir -p "$dir"
	log "fetching org.apache.cassandra:cassandra-all:$VERSION and its dependencies from Maven Central into $LIB"
	cat >"$dir/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>zdmctl.test</groupId>
  <artifactId>cassandra-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.cassandra</groupId>
      <artifactId>cassandra-all</artifactId>
      <version>$VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
	rm -rf "$LIB"
	if ! (cd "$dir" && mvn -B -q -Dmaven.repo.local="$CACHE/m2" \
		dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime) >"$dir/fetch.log" 2>&1; then
		tail -n 40 "$dir/fetch.log" >&2
		die "maven fetch of cassandra-all:$VERSION failed (full log: $dir/fetch.log)"
	fi
	[[ -f $LIB/cassandra-all-$VERSION.jar ]] || die "cassandra-all-$VERSION.jar missing after fetch"
	touch "$dir/.complete"
}

# ---------------------------------------------------------------- config

# tls_files makes (once per run directory) a test CA and, per node, a
# PKCS12 keystore with a certificate for the node's address signed by it.
# The native port takes TLS and plain connections alike (optional: true).
tls_files() {
	local node=$1 d=$RUN/$1 addr
	addr=$(node_var "$node" ADDR)
	local ca=$RUN/tls
	if [[ ! -s $ca/ca.pem ]]; then
		mkdir -p "$ca"
		openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=zdmctl test CA" \
			-keyout "$ca/ca.key" -out "$ca/ca.pem.tmp" 2>/dev/null
		# The client certificate TLS clients (the proxies) must present.
		openssl req -newkey rsa:2048 -nodes -subj "/CN=zdm-proxy" -keyout "$ca/client.key" -out "$ca/client.csr" 2>/dev/null
		openssl x509 -req -in "$ca/client.csr" -CA "$ca/ca.pem.tmp" -CAkey "$ca/ca.key" -CAcreateserial -days 30 \
			-extfile <(printf 'extendedKeyUsage=clientAuth\n') -out "$ca/client.pem" 2>/dev/null
		rm -f "$ca/client.csr"
		mv "$ca/ca.pem.tmp" "$ca/ca.pem"
	fi
	[[ -s $d/conf/keystore.p12 && $d/conf/keystore.p12 -nt $ca/ca.pem ]] && return 0
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$node" -keyout "$d/conf/node.key" -out "$d/conf/node.csr" 2>/dev/null
	openssl x509 -req -in "$d/conf/node.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" -CAcreateserial -days 30 \
		-extfile <(printf 'subjectAltName=IP:%s\n' "$addr") -out "$d/conf/node.pem" 2>/dev/null
	openssl pkcs12 -export -in "$d/conf/node.pem" -inkey "$d/conf/node.key" -name node \
		-passout pass:zdmctl-test -out "$d/conf/keystore.p12"
	rm -f "$d/conf/node.csr" "$d/conf/truststore.p12"
	keytool -importcert -noprompt -alias ca -file "$ca/ca.pem" -keystore "$d/conf/truststore.p12" \
		-storetype PKCS12 -storepass zdmctl-test >/dev/null
}

write_config() {
	local node=$1 d=$RUN/$1
	local addr port sport auth
	addr=$(node_var "$node" ADDR)
	port=$(node_var "$node" PORT)
	sport=$(node_var "$node" STORAGE_PORT)
	auth=$(node_var "$node" AUTH)
	local authenticator=AllowAllAuthenticator
	[[ $auth == 1 ]] && authenticator=PasswordAuthenticator
	mkdir -p "$d"/{conf,data,commitlog,saved_caches,hints,cdc_raw,logs}
	local k
	for k in "${FIELDS[@]}"; do echo "$k=$(node_var "$node" "$k")"; done >"$d/node.env"
	cat >"$d/conf/cassandra.yaml" <<EOF
cluster_name: '$(cluster_name "$node")'
num_tokens: 16
allocate_tokens_for_local_replication_factor: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
auto_bootstrap: false
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "$addr:$sport"
listen_address: $addr
rpc_address: $addr
storage_port: $sport
native_transport_port: $port
start_native_transport: true
endpoint_snitch: SimpleSnitch
authenticator: $authenticator
authorizer: AllowAllAuthorizer
role_manager: CassandraRoleManager
data_file_directories:
  - $d/data
commitlog_directory: $d/commitlog
saved_caches_directory: $d/saved_caches
hints_directory: $d/hints
cdc_raw_directory: $d/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_segment_size: 8MiB
memtable_heap_space: 64MiB
memtable_offheap_space: 64MiB
key_cache_size: 8MiB
counter_cache_size: 4MiB
prepared_statements_cache_size: 8MiB
concurrent_reads: 8
concurrent_writes: 8
concurrent_counter_writes: 8
concurrent_compactors: 1
native_transport_max_threads: 32
disk_access_mode: mmap_index_only
# Generous server-side timeouts: CI runs two nodes, a proxy and the drivers on
# 2 cores, where GC pauses of a second are normal. Clients use 30s.
read_request_timeout: 15000ms
range_request_timeout: 20000ms
write_request_timeout: 15000ms
counter_write_request_timeout: 15000ms
cas_contention_timeout: 5000ms
truncate_request_timeout: 60000ms
request_timeout: 20000ms
user_defined_functions_enabled: false
materialized_views_enabled: false
client_encryption_options:
  enabled: true
  optional: true
  keystore: $d/conf/keystore.p12
  keystore_password: zdmctl-test
  store_type: PKCS12
  require_client_auth: true
  truststore: $d/conf/truststore.p12
  truststore_password: zdmctl-test
EOF
	cat >"$d/conf/logback.xml" <<EOF
<configuration scan="false">
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>$d/logs/system.log</file>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
  <logger name="org.apache.cassandra" level="INFO"/>
</configuration>
EOF
}

jvm_flags() {
	local node=$1 d=$RUN/$1
	local jamm
	jamm=$(ls "$LIB"/jamm-*.jar 2>/dev/null | head -n1 || true)
	local f=(
		-Xms"$HEAP" -Xmx"$HEAP" -Xss512k -XX:+UseG1GC -XX:MaxGCPauseMillis=300
		-XX:+HeapDumpOnOutOfMemoryError -XX:+ExitOnOutOfMemoryError -XX:HeapDumpPath="$d/logs"
		-XX:ActiveProcessorCount=2 -XX:MaxDirectMemorySize=512M
		-Djava.net.preferIPv4Stack=true
		-Djdk.attach.allowAttachSelf=true
		--add-exports java.base/jdk.internal.misc=ALL-UNNAMED
		--add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
		--add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
		--add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
		--add-exports java.sql/java.sql=ALL-UNNAMED
		--add-exports java.base/java.lang.ref=ALL-UNNAMED
		--add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
		--add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
		--add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
		--add-opens java.base/java.lang.module=ALL-UNNAMED
		--add-opens java.base/jdk.internal.loader=ALL-UNNAMED
		--add-opens java.base/jdk.internal.ref=ALL-UNNAMED
		--add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
		--add-opens java.base/jdk.internal.math=ALL-UNNAMED
		--add-opens java.base/jdk.internal.module=ALL-UNNAMED
		--add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
		--add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
		--add-opens java.base/sun.nio.ch=ALL-UNNAMED
		--add-opens java.base/java.io=ALL-UNNAMED
		--add-opens java.base/java.lang.reflect=ALL-UNNAMED
		--add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
		--add-opens java.base/java.lang=ALL-UNNAMED
		--add-opens java.base/java.util=ALL-UNNAMED
		-Dio.netty.tryReflectionSetAccessible=true
		-Dcassandra.jmx.local.port="$(node_var "$node" JMX_PORT)"
		-Dcassandra.config="file://$d/conf/cassandra.yaml"
		-Dcassandra.storagedir="$d"
		-Dcassandra.logdir="$d/logs"
		-Dlogback.configurationFile="file://$d/conf/logback.xml"
		-Dcassandra-foreground=yes
		-Dcassandra.skip_wait_for_gossip_to_settle=0
		-Dcassandra.ring_delay_ms=1000
		-Dcassandra.superuser_setup_delay_ms=0
		-Dcassandra.node_id_marker="$node"
	)
	[[ -n $jamm ]] && f+=(-javaagent:"$jamm")
	printf '%s\n' "${f[@]}"
}

# ---------------------------------------------------------------- process

# pid_of NODE prints the pid of the node's JVM if it is running.
pid_of() {
	local pf=$RUN/$1/pid pid
	[[ -f $pf ]] || return 1
	pid=$(<"$pf")
	[[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
	# Guard against a recycled pid: the JVM's argv names this node's config.
	# (No `| grep -q` here: with pipefail, grep quitting early fails the pipe.)
	local cmdline
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	[[ $cmdline == *"-Dcassandra.config=file://$RUN/$1/conf/cassandra.yaml "* ]] || return 1
	printf '%s' "$pid"
}

launch() {
	local node=$1 d=$RUN/$1
	if pid_of "$node" >/dev/null; then
		log "$node already running (pid $(pid_of "$node"))"
		return 0
	fi
	write_config "$node"
	tls_files "$node"
	local flags
	mapfile -t flags < <(jvm_flags "$node")
	: >"$d/logs/system.log"
	log "starting $node ($(cluster_name "$node")) on $(node_var "$node" ADDR):$(node_var "$node" PORT)"
	setsid java "${flags[@]}" -cp "$LIB/*" org.apache.cassandra.service.CassandraDaemon \
		</dev/null >"$d/logs/stdout.log" 2>&1 9>&- &
	echo $! >"$d/pid"
	date +%s >"$d/started_at"
}

# cql_probe ADDR PORT AUTH: one real native-protocol v4 handshake. STARTUP must
# answer READY, or AUTHENTICATE followed by a successful SASL PLAIN login with
# the default superuser. The credentials travel in the environment, not argv.
cql_probe() {
	CQL_ADDR=$1 CQL_PORT=$2 CQL_AUTH=$3 CQL_USER=cassandra CQL_PASS=cassandra \
		timeout 5 bash -c '
	set -e
	exec 3<>"/dev/tcp/$CQL_ADDR/$CQL_PORT"
	# read_frame prints the opcode of the next response frame, consuming its body.
	read_frame() {
		local hdr len op
		hdr=$(dd bs=1 count=9 status=none <&3 | od -An -tx1 | tr -d " \n")
		[[ ${#hdr} == 18 ]] || return 1
		op=${hdr:8:2}
		len=$((16#${hdr:10:8}))
		(( len == 0 )) || dd bs=1 count="$len" status=none <&3 >/dev/null
		printf %s "$op"
	}
	printf "\x04\x00\x00\x01\x01\x00\x00\x00\x16\x00\x01\x00\x0bCQL_VERSION\x00\x053.0.0" >&3
	op=$(read_frame)
	case $op in
	02) exit 0 ;;
	03)
		[[ $CQL_AUTH == 1 ]] || exit 1
		tok=$(printf "\\x00%s\\x00%s" "$CQL_USER" "$CQL_PASS" | od -An -tx1 | tr -d " \n")
		n=$(( ${#tok} / 2 ))
		printf -v blen "%08x" "$n"
		printf -v flen "%08x" $(( n + 4 ))
		hex="04000002 0f ${flen} ${blen} ${tok}"
		hex=${hex// /}
		printf "$(sed "s/../\\\\x&/g" <<<"$hex")" >&3
		[[ $(read_frame) == 10 ]]
		;;
	*) exit 1 ;;
	esac
	' 2>/dev/null
}

# show_failure NODE: what went wrong, for a node that did not come up.
show_failure() {
	local d=$RUN/$1
	log "$1: stdout/stderr of the JVM (tail):"
	tail -n 20 "$d/logs/stdout.log" >&2 || true
	log "$1: errors in $d/logs/system.log:"
	grep -E '^ERROR|Exception|^Caused by' "$d/logs/system.log" | head -n 20 >&2 || true
	log "$1: last lines of $d/logs/system.log:"
	tail -n 25 "$d/logs/system.log" >&2 || true
}

# wait_ready NODE: poll until CQL answers, the JVM dies, or the time is up.
wait_ready() {
	local node=$1 d=$RUN/$1 addr port auth start pid
	addr=$(node_var "$node" ADDR)
	port=$(node_var "$node" PORT)
	auth=$(node_var "$node" AUTH)
	start=$(date +%s)
	while :; do
		if ! pid=$(pid_of "$node"); then
			log "$node: JVM exited before CQL came up"
			show_failure "$node"
			return 1
		fi
		if cql_probe "$addr" "$port" "$auth"; then
			log "$node: CQL ready on $addr:$port after $(($(date +%s) - start))s (pid $pid)"
			return 0
		fi
		if (($(date +%s) - start > START_TIMEOUT)); then
			log "$node: no CQL answer on $addr:$port within ${START_TIMEOUT}s (JVM left running; see down)"
			show_failure "$node"
			return 1
		fi
		sleep 1
	done
}

# alive PID: the process exists and has not exited. An exited JVM whose
# parent does not reap it (this machine's init, or a test binary that is a
# child subreaper for its test fleet) stays a zombie: that counts as stopped.
alive() {
	local state
	[[ -d /proc/$1 ]] || return 1
	state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[[ -n $state && $state != Z && $state != X ]]
}

stop_node() {
	local node=$1 pid i
	if ! pid=$(pid_of "$node"); then
		rm -f "$RUN/$node/pid"
		return 0
	fi
	log "stopping $node (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 60; i++)); do
		alive "$pid" || break
		sleep 0.5
	done
	if alive "$pid"; then
		log "$node did not stop in 30s; killing"
		kill -KILL "$pid" 2>/dev/null || true
		while alive "$pid"; do sleep 0.2; done
	fi
	rm -f "$RUN/$node/pid"
}

# ---------------------------------------------------------------- commands

nodes_of() {
	case ${1:-all} in
	all) echo origin target ;;
	origin | target) echo "$1" ;;
	*) die "unknown node '$1' (origin, target or all)" ;;
	esac
}

# start_and_wait NODE...: launch all, then wait for all in parallel.
start_and_wait() {
	local t0 node rc=0 pids=()
	t0=$(date +%s)
	for node in "$@"; do launch "$node"; done
	for node in "$@"; do
		wait_ready "$node" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	((rc == 0)) || die "cluster start failed"
	log "ready: $* in $(($(date +%s) - t0))s"
}

cmd_up() {
	command -v java >/dev/null || die "java not found"
	local t0
	t0=$(date +%s)
	fetch
	log "fetch step took $(($(date +%s) - t0))s"
	# shellcheck disable=SC2046
	start_and_wait $(nodes_of "${1:-all}")
}

cmd_down() {
	local node
	for node in $(nodes_of "${1:-all}"); do
		stop_node "$node"
		rm -rf "${RUN:?}/$node"
	done
	rmdir "$RUN" 2>/dev/null || true
}

cmd_stop() {
	[[ ${1:-} == origin || ${1:-} == target ]] || die "stop needs origin or target"
	stop_node "$1"
}

cmd_start() {
	[[ ${1:-} == origin || ${1:-} == target ]] || die "start needs origin or target"
	fetch
	start_and_wait "$1"
}

cmd_status() {
	local node pid
	for node in origin target; do
		if pid=$(pid_of "$node"); then
			if cql_probe "$(node_var $node ADDR)" "$(node_var $node PORT)" "$(node_var $node AUTH)"; then
				echo "$node running pid=$pid cql=up"
			else
				echo "$node running pid=$pid cql=down"
			fi
		else
			echo "$node stopped"
		fi
	done
}

cmd_info() {
	local node
	for node in origin target; do
		echo "$node.cluster=$(cluster_name $node)"
		echo "$node.addr=$(node_var $node ADDR)"
		echo "$node.port=$(node_var $node PORT)"
		echo "$node.storage_port=$(node_var $node STORAGE_PORT)"
		echo "$node.auth=$(node_var $node AUTH)"
		echo "$node.dir=$RUN/$node"
	done
	echo "tls_ca=$RUN/tls/ca.pem"
	echo "tls_client_cert=$RUN/tls/client.pem"
	echo "tls_client_key=$RUN/tls/client.key"
	echo "version=$VERSION"
	echo "lib=$LIB"
	echo "script=$SCRIPT_DIR/cassandra.sh"
}

main() {
	# One mutating command at a time per run directory (the JVMs do not inherit the lock).
	if [[ ${1:-} =~ ^(up|down|stop|start)$ ]]; then
		mkdir -p "$(dirname "$RUN")"
		exec 9>"$RUN.lock"
		flock -w 900 9 || die "another cassandra.sh holds $RUN.lock"
	fi

	case ${1:-} in
	up) cmd_up "${2:-all}" ;;
	down) cmd_down "${2:-all}" ;;
	stop) cmd_stop "${2:-}" ;;
	start) cmd_start "${2:-}" ;;
	status) cmd_status ;;
	info) cmd_info ;;
	fetch) fetch ;;
	*)
		sed -n '2,27p' "$0" >&2
		exit 2
		;;
	esac
}

# On one line, so bash has read it before running: editing this file while
# a command runs does not break that command.
main "$@"; exit $?

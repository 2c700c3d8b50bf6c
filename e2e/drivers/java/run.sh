#!/usr/bin/env bash
# run.sh — build (once) and run the Java driver compatibility script.
#   ./run.sh --contact 127.0.0.2:9042 --proto 5 --keyspace ks [--user u]   (password: $CQL_PASSWORD)
#   ./run.sh --build-only
#   JAVA_MAIN=zdmctl.matrix.Load ./run.sh --contacts 127.0.0.11,127.0.0.12 --port 9042   (proxy/restartload_test.go)
# Maven's repository lives under $CASSANDRA_CACHE/m2 (default /var/cache/zdmctl-cassandra),
# shared with scripts/cassandra.sh; the build goes to $JAVA_MATRIX_BUILD.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${CASSANDRA_CACHE:-/var/cache/zdmctl-cassandra}
build=${JAVA_MATRIX_BUILD:-$cache/java-matrix}
stamp=$build/.built
src_sum=$(cat "$here/pom.xml" "$here"/src/main/java/zdmctl/matrix/*.java | sha256sum | cut -c1-16)
if [[ ! -f $stamp || $(<"$stamp") != "$src_sum" ]]; then
	echo "[java-matrix] building into $build" >&2
	rm -rf "$build"
	mkdir -p "$build"
	cp -r "$here/pom.xml" "$here/src" "$build/"
	if ! (cd "$build" && mvn -B -q -Dmaven.repo.local="$cache/m2" package -DskipTests) >"$build.log" 2>&1; then
		tail -n 40 "$build.log" >&2
		echo "[java-matrix] build failed (log: $build.log)" >&2
		exit 1
	fi
	echo "$src_sum" >"$stamp"
fi
if [[ ${1:-} == --build-only ]]; then exit 0; fi
# JAVA_MAIN=zdmctl.matrix.Load runs the restart-under-load client instead.
exec java -cp "$build/target/java-matrix.jar:$build/target/lib/*" "${JAVA_MAIN:-zdmctl.matrix.Main}" "$@"

#!/usr/bin/python3
"""Steady load through a proxy fleet with the DataStax Python driver, for
the restart-under-load harness (proxy/restartload_test.go,
RESTARTLOAD_CLIENT=python). Same statements as its gocql load: a prepared
INSERT with a bind marker and a SELECT, alternating, idempotent (unless
--not-idempotent), from
--workers threads, each pausing 5 ms between requests.

    /usr/bin/python3 load.py --contacts 127.0.0.11,127.0.0.12 --port 9042

Prints "READY" once connected, then "OK <n>" every 100 ms (requests that
succeeded since the last such line) and "FAIL <class>: <message>" for each
request the driver gave up on; stops when stdin closes and prints
"TOTAL ok=<n> failed=<n>". With --table KS.T (columns k text PRIMARY KEY,
v text) it writes k and v (v = k, so its WRITETIME can be compared) there
instead of ks.t, and --acked FILE gets the key of every acknowledged
INSERT, one a line, when it stops. Settings as an application would run: the
driver's default retry policy, a 200 ms constant reconnection interval
(like the gocql load), a 20 s request timeout.
"""
import argparse
import os
import sys
import threading
import time

from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.policies import ConstantReconnectionPolicy, FallthroughRetryPolicy, RoundRobinPolicy
from cassandra.query import SimpleStatement


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--contacts", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--not-idempotent", action="store_true", help="mark the statements not idempotent")
    ap.add_argument("--no-retry", action="store_true", help="FallthroughRetryPolicy: the driver retries nothing")
    ap.add_argument("--user", help="PasswordAuthenticator user; the password comes from $CQL_PASSWORD")
    ap.add_argument("--table", help="KS.T (k text PRIMARY KEY, v text) to write k and v to, instead of ks.t (k)")
    ap.add_argument("--acked", help="file that gets the key of every acknowledged INSERT when the load stops")
    args = ap.parse_args()

    profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy(), request_timeout=20)
    if args.no_retry:
        profile.retry_policy = FallthroughRetryPolicy()
    cluster = Cluster(
        args.contacts.split(","),
        port=args.port,
        protocol_version=4,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        reconnection_policy=ConstantReconnectionPolicy(0.2, max_attempts=None),
        schema_metadata_enabled=False,
        token_metadata_enabled=False,
        connect_timeout=5,
        auth_provider=PlainTextAuthProvider(args.user, os.environ.get("CQL_PASSWORD", "")) if args.user else None,
    )
    session = cluster.connect()
    table = args.table or "ks.t"
    if args.table:
        insert = session.prepare("INSERT INTO %s (k, v) VALUES (?, ?)" % table)
    else:
        insert = session.prepare("INSERT INTO ks.t (k) VALUES (?)")
    idempotent = not args.not_idempotent
    insert.is_idempotent = idempotent
    select = SimpleStatement("SELECT k FROM %s WHERE k = 'a'" % table, is_idempotent=idempotent)
    acked = []

    lock = threading.Lock()
    out = sys.stdout
    counts = {"ok": 0, "ok_total": 0, "failed": 0}
    stop = threading.Event()

    def emit(line):
        with lock:
            out.write(line + "\n")
            out.flush()

    def worker(w):
        i = 0
        while not stop.is_set():
            try:
                key = None
                if i % 2 == 1:
                    session.execute(select)
                else:
                    key = "%d-%d" % (w, i)
                    session.execute(insert, (key, key) if args.table else (key,))
                with lock:
                    counts["ok"] += 1
                    counts["ok_total"] += 1
                    if key is not None and args.acked:
                        acked.append(key)
            except Exception as e:  # the driver gave up: report and go on
                with lock:
                    counts["failed"] += 1
                emit("FAIL %s: %s" % (type(e).__name__, str(e).replace("\n", " ")[:300]))
            i += 1
            time.sleep(0.005)

    threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(args.workers)]
    for t in threads:
        t.start()
    emit("READY")

    def ticker():
        while not stop.wait(0.1):
            with lock:
                n, counts["ok"] = counts["ok"], 0
            emit("OK %d" % n)

    tick = threading.Thread(target=ticker, daemon=True)
    tick.start()
    sys.stdin.read()  # until the harness closes stdin
    stop.set()
    for t in threads:
        t.join()
    tick.join()
    with lock:
        n = counts["ok"]
    emit("OK %d" % n)
    if args.acked:
        with open(args.acked, "w") as f:
            f.write("".join(k + "\n" for k in acked))
    emit("TOTAL ok=%d failed=%d" % (counts["ok_total"], counts["failed"]))
    cluster.shutdown()


if __name__ == "__main__":
    main()

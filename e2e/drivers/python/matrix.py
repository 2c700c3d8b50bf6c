#!/usr/bin/python3
"""Driver compatibility script, DataStax Python driver (Debian python3-cassandra).

Same steps and output as e2e/drivers/gocql and e2e/drivers/java: one
"PASS <step>" or "FAIL <step>: <why>" line per step and a final RESULT line;
exit status 1 on the first failure.

    /usr/bin/python3 matrix.py --contact 127.0.0.2:9042 --proto 5 \
        --keyspace zdm_matrix_python [--user cassandra]

The password comes from $CQL_PASSWORD so it never shows in argv. Run it with
/usr/bin/python3: the Debian package is installed for the system interpreter.
"""
import argparse
import os
import ssl
import sys
import traceback

from cassandra import ConsistencyLevel, ProtocolVersion
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.policies import RoundRobinPolicy
from cassandra.query import BatchStatement, BatchType, SimpleStatement

PAGING_ROWS = 5000
PAGE_SIZE = 500


class StepError(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise StepError(msg)


class Matrix:
    def __init__(self, args):
        self.args = args
        self.ks = args.keyspace
        host, _, port = args.contact.rpartition(":")
        self.host, self.port = host.strip("[]"), int(port)
        self.cluster = None
        self.s = None

    def new_cluster(self):
        auth = None
        if self.args.user:
            auth = PlainTextAuthProvider(self.args.user, os.environ.get("CQL_PASSWORD", ""))
        # The driver compresses by default when python3-lz4 is installed:
        # ask for it explicitly or not at all.
        kwargs = {"compression": self.args.compression or False}
        if self.args.tls_ca:
            # TLS to every node, verifying its certificate and its address.
            # (with check_hostname on, the driver checks each node's own address)
            kwargs["ssl_context"] = ssl.create_default_context(cafile=self.args.tls_ca)
        if self.args.proto:
            kwargs["protocol_version"] = self.args.proto
        profile = ExecutionProfile(
            load_balancing_policy=RoundRobinPolicy(),
            consistency_level=ConsistencyLevel.LOCAL_QUORUM,
            request_timeout=30,
        )
        return Cluster(
            [self.host],
            port=self.port,
            auth_provider=auth,
            execution_profiles={EXEC_PROFILE_DEFAULT: profile},
            connect_timeout=10,
            **kwargs,
        )

    def val(self, ident):
        row = self.s.execute("SELECT val FROM %s.kv WHERE id = %%s" % self.ks, (ident,)).one()
        return None if row is None else row.val

    def expect_val(self, ident, want):
        got = self.val(ident)
        check(got == want, "kv id=%d: got %r, want %r" % (ident, got, want))

    # ---------------------------------------------------------------- steps

    def connect(self):
        self.cluster = self.new_cluster()
        self.s = self.cluster.connect()
        v = self.cluster.protocol_version
        if self.args.proto:
            check(v == self.args.proto, "asked for protocol v%d, negotiated v%d" % (self.args.proto, v))
        local = self.s.execute("SELECT cluster_name, release_version, rpc_address FROM system.local").one()
        peers = []
        try:
            for p in self.s.execute("SELECT native_address, native_port FROM system.peers_v2"):
                peers.append("%s:%d" % (p.native_address, p.native_port))
        except Exception:
            peers = [str(p.rpc_address) for p in self.s.execute("SELECT rpc_address FROM system.peers")]
        hosts = sorted("%s:%d" % (h.endpoint.address, h.endpoint.port) for h in self.cluster.metadata.all_hosts())
        print("INFO protocol=v%d" % v)
        print("INFO local: cluster=%s release=%s rpc_address=%s"
              % (local.cluster_name, local.release_version, local.rpc_address))
        print("INFO peers: [%s]" % " ".join(sorted(peers)))
        print("INFO driver-hosts: [%s]" % " ".join(hosts))
        return "protocol v%d, cluster %s, %d peer(s)" % (v, local.cluster_name, len(peers))

    def schema(self):
        ks = self.ks
        for st in [
            "DROP KEYSPACE IF EXISTS " + ks,
            "CREATE KEYSPACE " + ks + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
            "CREATE TYPE " + ks + ".address (street text, city text, zip int)",
            "CREATE TABLE " + ks + ".kv (id int PRIMARY KEY, val text)",
            "CREATE TABLE " + ks + ".lwt (id int PRIMARY KEY, owner text)",
            "CREATE TABLE " + ks + ".counters (id text PRIMARY KEY, hits counter)",
            "CREATE TABLE " + ks + ".rows (bucket int, seq int, payload text, PRIMARY KEY (bucket, seq))",
            "CREATE TABLE " + ks + ".colls (id int PRIMARY KEY, tags set<text>, items list<int>, "
            "attrs map<text, int>, home frozen<address>)",
        ]:
            rs = self.s.execute(st)
            check(rs.response_future.is_schema_agreed, "no schema agreement after: " + st)
        return "keyspace %s, 1 type, 5 tables" % ks

    def simple_insert(self):
        # The driver interpolates client-side and sends a plain QUERY.
        self.s.execute("INSERT INTO %s.kv (id, val) VALUES (1, 'one')" % self.ks)
        self.expect_val(1, "one")
        return "unprepared QUERY"

    def prepared_insert(self):
        ps = self.s.prepare("INSERT INTO %s.kv (id, val) VALUES (?, ?)" % self.ks)
        for i in range(2, 5):
            self.s.execute(ps, (i, "v%d" % i))
        for i in range(2, 5):
            self.expect_val(i, "v%d" % i)
        return "3 rows via PREPARE/EXECUTE"

    def update(self):
        self.s.execute("UPDATE %s.kv SET val = 'uno' WHERE id = 1" % self.ks)
        ps = self.s.prepare("UPDATE %s.kv SET val = ? WHERE id = ?" % self.ks)
        self.s.execute(ps, ("two", 2))
        self.expect_val(1, "uno")
        self.expect_val(2, "two")
        return "simple and prepared"

    def delete(self):
        self.s.execute("DELETE FROM %s.kv WHERE id = 3" % self.ks)
        self.s.execute(self.s.prepare("DELETE FROM %s.kv WHERE id = ?" % self.ks), (4,))
        for i in (3, 4):
            check(self.val(i) is None, "kv id=%d still present after DELETE" % i)
        return ""

    def logged_batch(self):
        b = BatchStatement(batch_type=BatchType.LOGGED)
        b.add(SimpleStatement("INSERT INTO %s.kv (id, val) VALUES (10, 'b10')" % self.ks))
        b.add(self.s.prepare("INSERT INTO %s.kv (id, val) VALUES (?, ?)" % self.ks), (11, "b11"))
        b.add(self.s.prepare("UPDATE %s.kv SET val = ? WHERE id = ?" % self.ks), ("b12", 12))
        self.s.execute(b)
        for i in range(10, 13):
            self.expect_val(i, "b%d" % i)
        return "3 statements"

    def lwt(self):
        ps = self.s.prepare("INSERT INTO %s.lwt (id, owner) VALUES (?, ?) IF NOT EXISTS" % self.ks)
        rs = self.s.execute(ps, (1, "alice"))
        check(rs.was_applied, "first INSERT IF NOT EXISTS not applied")
        rs = self.s.execute(ps, (1, "bob"))
        check(not rs.was_applied, "second INSERT IF NOT EXISTS applied, want [applied]=false")
        row = rs.one()
        check(row.owner == "alice", "second LWT returned owner %r, want alice" % row.owner)
        return "[applied]=true then false with owner=alice"

    def counter(self):
        self.s.execute("UPDATE %s.counters SET hits = hits + 5 WHERE id = 'c1'" % self.ks)
        ps = self.s.prepare("UPDATE %s.counters SET hits = hits + ? WHERE id = ?" % self.ks)
        for _ in range(3):
            self.s.execute(ps, (1, "c1"))
        hits = self.s.execute("SELECT hits FROM %s.counters WHERE id = 'c1'" % self.ks).one().hits
        check(hits == 8, "counter = %s, want 8" % hits)
        return "hits=8"

    def paging(self):
        ps = self.s.prepare("INSERT INTO %s.rows (bucket, seq, payload) VALUES (?, ?, ?)" % self.ks)
        results = execute_concurrent_with_args(
            self.s, ps, [(0, i, "row-%05d" % i) for i in range(PAGING_ROWS)], concurrency=32,
            raise_on_first_error=True)
        check(all(ok for ok, _ in results), "concurrent inserts failed")
        st = SimpleStatement("SELECT seq, payload FROM %s.rows WHERE bucket = 0" % self.ks, fetch_size=PAGE_SIZE)
        rs = self.s.execute(st)
        rows, pages = 0, 1
        while True:
            for r in rs.current_rows:
                check(r.seq == rows and r.payload == "row-%05d" % rows,
                      "row %d: got seq=%d payload=%r" % (rows, r.seq, r.payload))
                rows += 1
            if not rs.has_more_pages:
                break
            rs.fetch_next_page()
            pages += 1
        check(rows == PAGING_ROWS, "counted %d rows, want %d" % (rows, PAGING_ROWS))
        check(pages >= PAGING_ROWS // PAGE_SIZE, "only %d pages" % pages)
        return "%d rows in %d pages of %d" % (rows, pages, PAGE_SIZE)

    def collections_udt(self):
        class Address:
            def __init__(self, street=None, city=None, zip=None):
                self.street, self.city, self.zip = street, city, zip

        self.cluster.register_user_type(self.ks, "address", Address)
        ps = self.s.prepare("INSERT INTO %s.colls (id, tags, items, attrs, home) VALUES (?, ?, ?, ?, ?)" % self.ks)
        self.s.execute(ps, (1, {"a", "b"}, [1, 2, 3], {"x": 24, "y": 25}, Address("1 Main St", "Springfield", 12345)))
        self.s.execute("UPDATE %s.colls SET items = items + [4], tags = tags - {'a'}, attrs['z'] = 26 WHERE id = 1"
                       % self.ks)
        r = self.s.execute("SELECT tags, items, attrs, home FROM %s.colls WHERE id = 1" % self.ks).one()
        home = r.home
        ok = (set(r.tags) == {"b"} and list(r.items) == [1, 2, 3, 4] and dict(r.attrs) == {"x": 24, "y": 25, "z": 26}
              and (home.street, home.city, home.zip) == ("1 Main St", "Springfield", 12345))
        check(ok, "read back tags=%r items=%r attrs=%r home=%r" % (r.tags, r.items, r.attrs, vars(home)))
        return "set, list, map and frozen UDT round-trip"

    def use_keyspace(self):
        self.s.execute("USE " + self.ks)
        self.s.execute("INSERT INTO kv (id, val) VALUES (100, 'used')")
        self.s.execute(self.s.prepare("INSERT INTO kv (id, val) VALUES (?, ?)"), (101, "used-prepared"))
        r = self.s.execute("SELECT val FROM kv WHERE id = 101").one()
        check(r is not None and r.val == "used-prepared", "unqualified select: %r" % (r,))
        self.expect_val(100, "used")
        return "USE %s, then unqualified statements" % self.ks

    def alter_table(self):
        # A prepared SELECT * from before the ALTER: on protocol v5 its result
        # metadata id changes and the driver must see the new column.
        star = self.s.prepare("SELECT * FROM %s.kv WHERE id = ?" % self.ks)
        check(self.s.execute(star, (1,)).one() is not None, "prepared SELECT * before ALTER returned no row")
        rs = self.s.execute("ALTER TABLE %s.kv ADD extra text" % self.ks)
        check(rs.response_future.is_schema_agreed, "no schema agreement after ALTER")
        ps = self.s.prepare("INSERT INTO %s.kv (id, val, extra) VALUES (?, ?, ?)" % self.ks)
        self.s.execute(ps, (200, "v200", "new-column"))
        r = self.s.execute("SELECT extra FROM %s.kv WHERE id = 200" % self.ks).one()
        check(r is not None and r.extra == "new-column", "extra = %r" % (r,))
        if self.cluster.protocol_version < 5:
            return "ADD extra text, then wrote and read it"
        for i in range(2):  # twice: the second EXECUTE carries the new metadata id
            r = self.s.execute(star, (200,)).one()
            ok = r is not None and getattr(r, "extra", None) == "new-column" and r.val == "v200"
            check(ok, "prepared SELECT * after ALTER (execution %d) returned %r" % (i + 1, r))
        return "ADD extra text, then wrote and read it (prepared SELECT * sees it: v5 metadata id)"


STEPS = [
    ("connect", "connect"),
    ("schema", "schema"),
    ("simple-insert", "simple_insert"),
    ("prepared-insert", "prepared_insert"),
    ("update", "update"),
    ("delete", "delete"),
    ("logged-batch", "logged_batch"),
    ("lwt", "lwt"),
    ("counter", "counter"),
    ("paging", "paging"),
    ("collections-udt", "collections_udt"),
    ("use-keyspace", "use_keyspace"),
    ("alter-table", "alter_table"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--contact", default="127.0.0.1:9042", help="contact point host:port")
    ap.add_argument("--user", default="", help="username (password from $CQL_PASSWORD)")
    ap.add_argument("--proto", type=int, default=0, choices=[0, 4, 5], help="protocol version to force")
    ap.add_argument("--keyspace", default="zdm_matrix_python")
    ap.add_argument("--tls-ca", default="", help="PEM CA: connect over TLS and verify the nodes with it")
    ap.add_argument("--compression", default="", choices=["", "lz4", "snappy"], help="frame compression (needs python3-lz4 / python3-snappy)")
    args = ap.parse_args()
    if args.proto == 5:
        check(ProtocolVersion.V5 in ProtocolVersion.SUPPORTED_VERSIONS, "driver lacks protocol v5")
    m = Matrix(args)
    try:
        for name, meth in STEPS:
            try:
                detail = getattr(m, meth)()
            except Exception as e:  # report and stop at the first failure
                print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
                print("RESULT FAIL driver=python step=%s" % name)
                traceback.print_exc(file=sys.stderr)
                return 1
            print("PASS %s: %s" % (name, detail) if detail else "PASS %s" % name)
            sys.stdout.flush()
        print("RESULT PASS driver=python protocol=v%d" % m.cluster.protocol_version)
        return 0
    finally:
        if m.cluster is not None:
            m.cluster.shutdown()


if __name__ == "__main__":
    sys.exit(main())

import sys, logging
from cassandra.cluster import Cluster
from cassandra.policies import RoundRobinPolicy
from cassandra.auth import PlainTextAuthProvider
from cassandra.query import BatchStatement
logging.basicConfig(level=logging.WARNING)
host, port = sys.argv[1], int(sys.argv[2])
proto = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] != "0" else None
kw = dict(port=port, load_balancing_policy=RoundRobinPolicy(), schema_metadata_enabled=False)
if proto: kw["protocol_version"] = proto
if len(sys.argv) > 5: kw["auth_provider"] = PlainTextAuthProvider(sys.argv[4], sys.argv[5])
c = Cluster([host], **kw)
s = c.connect()
print("protocol", c.protocol_version)
s.execute("INSERT INTO ks.t (k, v) VALUES ('a', 'b')")
p = s.prepare("INSERT INTO ks.t (k, v) VALUES (?, ?)")
s.execute(p, ("k", "v"))
sel = s.prepare("SELECT cluster, value FROM ks.t WHERE k = ?")
rows = list(s.execute(sel, ("k",)))
print("rows", rows)
b = BatchStatement()
b.add(p, ("b1", "v1"))
b.add("DELETE FROM ks.t WHERE k = 'x'")
s.execute(b)
s.set_keyspace("ks")
s.execute("INSERT INTO t2 (k) VALUES ('z')")
print("hosts", [(h.address, h.datacenter) for h in c.metadata.all_hosts()])
c.shutdown()
print("OK")

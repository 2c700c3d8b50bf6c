package zdmctl.matrix;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.config.ProgrammaticDriverConfigLoaderBuilder;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.data.UdtValue;
import com.datastax.oss.driver.api.core.metadata.Node;
import com.datastax.oss.driver.api.core.ssl.ProgrammaticSslEngineFactory;
import com.datastax.oss.driver.api.core.type.UserDefinedType;
import com.datastax.oss.driver.internal.core.loadbalancing.DcInferringLoadBalancingPolicy;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** The steps of the compatibility script. */
final class Matrix implements AutoCloseable {
  static final int PAGING_ROWS = 5000;
  static final int PAGE_SIZE = 500;

  record Step(String name, Callable<String> fn) {}

  private final Args a;
  private final String ks;
  private CqlSession s;

  Matrix(Args a) {
    this.a = a;
    this.ks = a.keyspace();
  }

  List<Step> steps() {
    return List.of(
        new Step("connect", this::connect),
        new Step("schema", this::schema),
        new Step("simple-insert", this::simpleInsert),
        new Step("prepared-insert", this::preparedInsert),
        new Step("update", this::update),
        new Step("delete", this::delete),
        new Step("logged-batch", this::loggedBatch),
        new Step("lwt", this::lwt),
        new Step("counter", this::counter),
        new Step("paging", this::paging),
        new Step("collections-udt", this::collectionsUdt),
        new Step("use-keyspace", this::useKeyspace),
        new Step("alter-table", this::alterTable));
  }

  String protocolName() {
    return "v" + s.getContext().getProtocolVersion().getCode();
  }

  @Override
  public void close() {
    if (s != null) {
      s.close();
    }
  }

  private static void check(boolean ok, String msg) {
    if (!ok) {
      throw new IllegalStateException(msg);
    }
  }

  private String val(int id) {
    Row r = s.execute(SimpleStatement.newInstance("SELECT val FROM " + ks + ".kv WHERE id = ?", id)).one();
    return r == null ? null : r.getString("val");
  }

  private void expectVal(int id, String want) {
    String got = val(id);
    check(want.equals(got), "kv id=" + id + ": got " + got + ", want " + want);
  }

  /** An SSLContext trusting only the PEM CA certificate at path. */
  private static SSLContext trusting(String path) {
    try (InputStream in = new FileInputStream(path)) {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (Exception e) {
      throw new IllegalStateException("TLS CA " + path + ": " + e, e);
    }
  }

  private String connect() {
    ProgrammaticDriverConfigLoaderBuilder cfg =
        DriverConfigLoader.programmaticBuilder()
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(30))
            .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, Duration.ofSeconds(10))
            .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
            .withDuration(DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT, Duration.ofSeconds(30))
            .withString(DefaultDriverOption.REQUEST_CONSISTENCY, "LOCAL_QUORUM")
            // Schema metadata refreshes are debounced (1s each) after every DDL; the script
            // does not need them (the UDT type comes from the prepared statement).
            .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, false)
            .withClass(DefaultDriverOption.LOAD_BALANCING_POLICY_CLASS, DcInferringLoadBalancingPolicy.class);
    if (a.proto() != 0) {
      cfg = cfg.withString(DefaultDriverOption.PROTOCOL_VERSION, "V" + a.proto());
    }
    if (!a.compression().isEmpty()) {
      cfg = cfg.withString(DefaultDriverOption.PROTOCOL_COMPRESSION, a.compression());
    }
    CqlSessionBuilder b =
        CqlSession.builder().addContactPoint(new InetSocketAddress(a.host(), a.port())).withConfigLoader(cfg.build());
    if (!a.user().isEmpty()) {
      b = b.withAuthCredentials(a.user(), a.password());
    }
    if (!a.tlsCa().isEmpty()) {
      // TLS to every node, verifying its certificate and its address.
      b = b.withSslEngineFactory(new ProgrammaticSslEngineFactory(trusting(a.tlsCa()), null, true));
    }
    s = b.build();
    int v = s.getContext().getProtocolVersion().getCode();
    check(a.proto() == 0 || v == a.proto(), "asked for protocol v" + a.proto() + ", negotiated v" + v);
    Row local = s.execute("SELECT cluster_name, release_version, rpc_address FROM system.local").one();
    TreeSet<String> peers = new TreeSet<>();
    try {
      for (Row p : s.execute("SELECT native_address, native_port FROM system.peers_v2")) {
        peers.add(p.getInetAddress("native_address").getHostAddress() + ":" + p.getInt("native_port"));
      }
    } catch (RuntimeException e) {
      peers.clear();
      for (Row p : s.execute("SELECT rpc_address FROM system.peers")) {
        peers.add(p.getInetAddress("rpc_address").getHostAddress());
      }
    }
    TreeSet<String> hosts = new TreeSet<>();
    for (Node n : s.getMetadata().getNodes().values()) {
      hosts.add(n.getEndPoint().resolve().toString().replaceFirst("^[^/]*/", "") + "(" + n.getState() + ")");
    }
    String cluster = local.getString("cluster_name");
    System.out.println("INFO protocol=v" + v);
    System.out.println("INFO local: cluster=" + cluster + " release=" + local.getString("release_version")
        + " rpc_address=" + local.getInetAddress("rpc_address").getHostAddress());
    System.out.println("INFO peers: [" + String.join(" ", peers) + "]");
    System.out.println("INFO driver-hosts: [" + String.join(" ", hosts) + "]");
    return "protocol v" + v + ", cluster " + cluster + ", " + peers.size() + " peer(s)";
  }

  private void ddl(String stmt) {
    ResultSet rs = s.execute(stmt);
    check(rs.getExecutionInfo().isSchemaInAgreement(), "no schema agreement after: " + stmt);
  }

  private String schema() {
    ddl("DROP KEYSPACE IF EXISTS " + ks);
    ddl("CREATE KEYSPACE " + ks + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    ddl("CREATE TYPE " + ks + ".address (street text, city text, zip int)");
    ddl("CREATE TABLE " + ks + ".kv (id int PRIMARY KEY, val text)");
    ddl("CREATE TABLE " + ks + ".lwt (id int PRIMARY KEY, owner text)");
    ddl("CREATE TABLE " + ks + ".counters (id text PRIMARY KEY, hits counter)");
    ddl("CREATE TABLE " + ks + ".rows (bucket int, seq int, payload text, PRIMARY KEY (bucket, seq))");
    ddl("CREATE TABLE " + ks + ".colls (id int PRIMARY KEY, tags set<text>, items list<int>, "
        + "attrs map<text, int>, home frozen<address>)");
    return "keyspace " + ks + ", 1 type, 5 tables";
  }

  private String simpleInsert() {
    // A SimpleStatement without values is sent as a plain QUERY.
    s.execute("INSERT INTO " + ks + ".kv (id, val) VALUES (1, 'one')");
    expectVal(1, "one");
    return "unprepared QUERY";
  }

  private String preparedInsert() {
    PreparedStatement ps = s.prepare("INSERT INTO " + ks + ".kv (id, val) VALUES (?, ?)");
    for (int i = 2; i <= 4; i++) {
      s.execute(ps.bind(i, "v" + i));
    }
    for (int i = 2; i <= 4; i++) {
      expectVal(i, "v" + i);
    }
    return "3 rows via PREPARE/EXECUTE";
  }

  private String update() {
    s.execute("UPDATE " + ks + ".kv SET val = 'uno' WHERE id = 1");
    s.execute(s.prepare("UPDATE " + ks + ".kv SET val = ? WHERE id = ?").bind("two", 2));
    expectVal(1, "uno");
    expectVal(2, "two");
    return "simple and prepared";
  }

  private String delete() {
    s.execute("DELETE FROM " + ks + ".kv WHERE id = 3");
    s.execute(s.prepare("DELETE FROM " + ks + ".kv WHERE id = ?").bind(4));
    check(val(3) == null && val(4) == null, "kv ids 3/4 still present after DELETE");
    return "";
  }

  private String loggedBatch() {
    BatchStatement b =
        BatchStatement.builder(DefaultBatchType.LOGGED)
            .addStatement(SimpleStatement.newInstance("INSERT INTO " + ks + ".kv (id, val) VALUES (10, 'b10')"))
            .addStatement(s.prepare("INSERT INTO " + ks + ".kv (id, val) VALUES (?, ?)").bind(11, "b11"))
            .addStatement(s.prepare("UPDATE " + ks + ".kv SET val = ? WHERE id = ?").bind("b12", 12))
            .build();
    s.execute(b);
    for (int i = 10; i <= 12; i++) {
      expectVal(i, "b" + i);
    }
    return "3 statements";
  }

  private String lwt() {
    PreparedStatement ps = s.prepare("INSERT INTO " + ks + ".lwt (id, owner) VALUES (?, ?) IF NOT EXISTS");
    check(s.execute(ps.bind(1, "alice")).wasApplied(), "first INSERT IF NOT EXISTS not applied");
    ResultSet rs = s.execute(ps.bind(1, "bob"));
    check(!rs.wasApplied(), "second INSERT IF NOT EXISTS applied, want [applied]=false");
    String owner = rs.one().getString("owner");
    check("alice".equals(owner), "second LWT returned owner " + owner + ", want alice");
    return "[applied]=true then false with owner=alice";
  }

  private String counter() {
    s.execute("UPDATE " + ks + ".counters SET hits = hits + 5 WHERE id = 'c1'");
    PreparedStatement ps = s.prepare("UPDATE " + ks + ".counters SET hits = hits + ? WHERE id = ?");
    for (int i = 0; i < 3; i++) {
      s.execute(ps.bind(1L, "c1"));
    }
    long hits = s.execute("SELECT hits FROM " + ks + ".counters WHERE id = 'c1'").one().getLong("hits");
    check(hits == 8, "counter = " + hits + ", want 8");
    return "hits=8";
  }

  private String paging() throws Exception {
    PreparedStatement ps = s.prepare("INSERT INTO " + ks + ".rows (bucket, seq, payload) VALUES (?, ?, ?)");
    Semaphore inflight = new Semaphore(32);
    List<CompletableFuture<AsyncResultSet>> fs = new ArrayList<>();
    for (int i = 0; i < PAGING_ROWS; i++) {
      inflight.acquire();
      CompletionStage<AsyncResultSet> f = s.executeAsync(ps.bind(0, i, String.format("row-%05d", i)));
      fs.add(f.whenComplete((r, e) -> inflight.release()).toCompletableFuture());
    }
    CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])).get();
    ResultSet rs = s.execute(SimpleStatement.newInstance("SELECT seq, payload FROM " + ks + ".rows WHERE bucket = 0")
        .setPageSize(PAGE_SIZE));
    int rows = 0;
    for (Row r : rs) {
      int seq = r.getInt("seq");
      String p = r.getString("payload");
      check(seq == rows && String.format("row-%05d", rows).equals(p), "row " + rows + ": got seq=" + seq + " payload=" + p);
      rows++;
    }
    int pages = rs.getExecutionInfos().size();
    check(rows == PAGING_ROWS, "counted " + rows + " rows, want " + PAGING_ROWS);
    check(pages >= PAGING_ROWS / PAGE_SIZE, "only " + pages + " pages");
    return rows + " rows in " + pages + " pages of " + PAGE_SIZE;
  }

  private String collectionsUdt() {
    PreparedStatement ps =
        s.prepare("INSERT INTO " + ks + ".colls (id, tags, items, attrs, home) VALUES (?, ?, ?, ?, ?)");
    UserDefinedType addr = (UserDefinedType) ps.getVariableDefinitions().get("home").getType();
    UdtValue home = addr.newValue("1 Main St", "Springfield", 12345);
    s.execute(ps.bind(1, Set.of("a", "b"), List.of(1, 2, 3), Map.of("x", 24, "y", 25), home));
    s.execute("UPDATE " + ks + ".colls SET items = items + [4], tags = tags - {'a'}, attrs['z'] = 26 WHERE id = 1");
    Row r = s.execute("SELECT tags, items, attrs, home FROM " + ks + ".colls WHERE id = 1").one();
    Set<String> tags = r.getSet("tags", String.class);
    List<Integer> items = r.getList("items", Integer.class);
    Map<String, Integer> attrs = r.getMap("attrs", String.class, Integer.class);
    UdtValue got = r.getUdtValue("home");
    boolean ok = tags.equals(Set.of("b")) && items.equals(List.of(1, 2, 3, 4))
        && attrs.equals(Map.of("x", 24, "y", 25, "z", 26))
        && "1 Main St".equals(got.getString("street")) && "Springfield".equals(got.getString("city"))
        && got.getInt("zip") == 12345;
    check(ok, "read back tags=" + tags + " items=" + items + " attrs=" + attrs + " home=" + got.getFormattedContents());
    return "set, list, map and frozen UDT round-trip";
  }

  private String useKeyspace() {
    s.execute("USE " + ks);
    s.execute("INSERT INTO kv (id, val) VALUES (100, 'used')");
    s.execute(s.prepare("INSERT INTO kv (id, val) VALUES (?, ?)").bind(101, "used-prepared"));
    Row r = s.execute("SELECT val FROM kv WHERE id = 101").one();
    check(r != null && "used-prepared".equals(r.getString("val")), "unqualified select returned " + r);
    expectVal(100, "used");
    return "USE " + ks + ", then unqualified statements";
  }

  private String alterTable() {
    // A prepared SELECT * from before the ALTER: on protocol v5 its result
    // metadata id changes and the driver must see the new column.
    PreparedStatement star = s.prepare("SELECT * FROM " + ks + ".kv WHERE id = ?");
    check(s.execute(star.bind(1)).one() != null, "prepared SELECT * before ALTER returned no row");
    ddl("ALTER TABLE " + ks + ".kv ADD extra text");
    s.execute(s.prepare("INSERT INTO " + ks + ".kv (id, val, extra) VALUES (?, ?, ?)").bind(200, "v200", "new-column"));
    Row r = s.execute("SELECT extra FROM " + ks + ".kv WHERE id = 200").one();
    check(r != null && "new-column".equals(r.getString("extra")), "extra = " + r);
    if (s.getContext().getProtocolVersion().getCode() < 5) {
      return "ADD extra text, then wrote and read it";
    }
    for (int i = 0; i < 2; i++) { // twice: the second EXECUTE carries the new metadata id
      Row sr = s.execute(star.bind(200)).one();
      check(sr != null && sr.getColumnDefinitions().contains("extra") && "new-column".equals(sr.getString("extra"))
              && "v200".equals(sr.getString("val")),
          "prepared SELECT * after ALTER (execution " + (i + 1) + ") returned " + (sr == null ? null : sr.getFormattedContents()));
    }
    return "ADD extra text, then wrote and read it (prepared SELECT * sees it: v5 metadata id)";
  }
}

package check;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.*;
import java.net.InetSocketAddress;

public class Main {
  public static void main(String[] a) {
    var cfg = DriverConfigLoader.programmaticBuilder()
        .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, false)
        .withBoolean(DefaultDriverOption.METADATA_TOKEN_MAP_ENABLED, false);
    if (a.length > 2 && !a[2].equals("0")) cfg = cfg.withString(DefaultDriverOption.PROTOCOL_VERSION, a[2]);
    if (a.length > 4) cfg = cfg.withString(DefaultDriverOption.AUTH_PROVIDER_CLASS, "PlainTextAuthProvider")
        .withString(DefaultDriverOption.AUTH_PROVIDER_USER_NAME, a[3]).withString(DefaultDriverOption.AUTH_PROVIDER_PASSWORD, a[4]);
    if (a.length > 5) cfg = cfg.withString(DefaultDriverOption.PROTOCOL_COMPRESSION, a[5]);
    try (CqlSession s = CqlSession.builder().addContactPoint(new InetSocketAddress(a[0], Integer.parseInt(a[1])))
        .withLocalDatacenter("dc-origin").withConfigLoader(cfg.build()).build()) {
      System.out.println("protocol " + s.getContext().getProtocolVersion());
      s.execute("INSERT INTO ks.t (k, v) VALUES ('a', 'b')");
      PreparedStatement p = s.prepare("INSERT INTO ks.t (k, v) VALUES (?, ?)");
      s.execute(p.bind("k", "v"));
      PreparedStatement sel = s.prepare("SELECT cluster, value FROM ks.t WHERE k = ?");
      Row r = s.execute(sel.bind("k")).one();
      System.out.println("row " + r.getString("cluster"));
      s.execute(BatchStatement.newInstance(DefaultBatchType.LOGGED, p.bind("b1", "v1"), SimpleStatement.newInstance("DELETE FROM ks.t WHERE k = 'x'")));
      s.execute("USE ks");
      s.execute("INSERT INTO t2 (k) VALUES ('z')");
      System.out.println("nodes " + s.getMetadata().getNodes().size());
      System.out.println("OK");
    }
  }
}

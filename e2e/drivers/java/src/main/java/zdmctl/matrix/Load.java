package zdmctl.matrix;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.internal.core.connection.ConstantReconnectionPolicy;
import com.datastax.oss.driver.internal.core.loadbalancing.DcInferringLoadBalancingPolicy;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Steady load through a proxy fleet with the Java driver 4, for the restart-under-load harness
 * (proxy/restartload_test.go, RESTARTLOAD_CLIENT=java). Same statements as its gocql load: a
 * prepared INSERT with a bind marker and a SELECT, alternating, idempotent (unless
 * --not-idempotent), from --workers threads
 * pausing 5 ms between requests.
 *
 * <pre>JAVA_MAIN=zdmctl.matrix.Load run.sh --contacts 127.0.0.11,127.0.0.12 --port 9042</pre>
 *
 * <p>--keyspace KS writes to KS.t instead of ks.t; its keys start with "j". --acked FILE gets the
 * key of every acknowledged INSERT, one a line, when it stops.
 *
 * Prints "READY" once connected, "OK n" every 100 ms (requests that succeeded since the last such
 * line), "FAIL class: message" for each request the driver gave up on; stops when stdin closes
 * and prints "TOTAL ok=n failed=n". Settings as an application would run: the default retry
 * policy, a 200 ms constant reconnection interval (like the gocql load), a 20 s request timeout.
 */
public final class Load {
  public static void main(String[] argv) throws Exception {
    String contacts = null;
    int port = 9042;
    int workers = 4;
    boolean idempotent = true;
    boolean noRetry = false;
    String user = null;
    String ks = "ks";
    String ackedFile = null;
    for (int i = 0; i < argv.length; i++) {
      if (argv[i].equals("--not-idempotent")) {
        idempotent = false;
        continue;
      }
      if (argv[i].equals("--no-retry")) {
        noRetry = true;
        continue;
      }
      if (i + 1 >= argv.length) {
        throw new IllegalArgumentException(argv[i] + " needs a value");
      }
      switch (argv[i++]) {
        case "--contacts" -> contacts = argv[i];
        case "--port" -> port = Integer.parseInt(argv[i]);
        case "--workers" -> workers = Integer.parseInt(argv[i]);
        case "--user" -> user = argv[i]; // password: $CQL_PASSWORD
        case "--keyspace" -> ks = argv[i]; // KS.t (k text PRIMARY KEY, ...)
        case "--acked" -> ackedFile = argv[i]; // gets every acknowledged INSERT's key
        default -> throw new IllegalArgumentException("unknown flag " + argv[i - 1]);
      }
    }
    if (contacts == null) {
      throw new IllegalArgumentException("--contacts is required");
    }
    var cfgb =
        DriverConfigLoader.programmaticBuilder()
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(20))
            .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, Duration.ofSeconds(5))
            .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, false)
            .withString(DefaultDriverOption.PROTOCOL_VERSION, "V4")
            .withClass(DefaultDriverOption.RECONNECTION_POLICY_CLASS, ConstantReconnectionPolicy.class)
            .withDuration(DefaultDriverOption.RECONNECTION_BASE_DELAY, Duration.ofMillis(200))
            .withClass(
                DefaultDriverOption.LOAD_BALANCING_POLICY_CLASS, DcInferringLoadBalancingPolicy.class);
    if (noRetry) {
      cfgb = cfgb.withClass(DefaultDriverOption.RETRY_POLICY_CLASS, NoRetry.class);
    }
    DriverConfigLoader cfg = cfgb.build();
    CqlSessionBuilder b = CqlSession.builder().withConfigLoader(cfg);
    if (user != null) {
      String pw = System.getenv("CQL_PASSWORD");
      b = b.withAuthCredentials(user, pw == null ? "" : pw);
    }
    for (String h : contacts.split(",")) {
      b.addContactPoint(new InetSocketAddress(h.trim(), port));
    }
    AtomicLong ok = new AtomicLong();
    AtomicLong okTotal = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    Object out = new Object();
    final boolean idem = idempotent;
    ConcurrentLinkedQueue<String> acked = new ConcurrentLinkedQueue<>();
    try (CqlSession s = b.build()) {
      PreparedStatement insert = s.prepare("INSERT INTO " + ks + ".t (k) VALUES (?)");
      SimpleStatement select =
          SimpleStatement.newInstance("SELECT k FROM " + ks + ".t WHERE k = 'a'").setIdempotent(idem);
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        final int wid = w;
        Thread t =
            new Thread(
                () -> {
                  for (long i = 0; !stop.get(); i++) {
                    try {
                      if (i % 2 == 1) {
                        s.execute(select);
                      } else {
                        String key = "j" + wid + "-" + i;
                        BoundStatement bs = insert.bind(key).setIdempotent(idem);
                        s.execute(bs);
                        acked.add(key);
                      }
                      ok.incrementAndGet();
                      okTotal.incrementAndGet();
                    } catch (RuntimeException e) {
                      failed.incrementAndGet();
                      String msg = String.valueOf(e.getMessage()).replace('\n', ' ');
                      synchronized (out) {
                        System.out.println(
                            "FAIL "
                                + e.getClass().getSimpleName()
                                + ": "
                                + msg.substring(0, Math.min(300, msg.length())));
                        System.out.flush();
                      }
                    }
                    try {
                      Thread.sleep(5);
                    } catch (InterruptedException e) {
                      return;
                    }
                  }
                });
        t.start();
        threads.add(t);
      }
      synchronized (out) {
        System.out.println("READY");
        System.out.flush();
      }
      Thread ticker =
          new Thread(
              () -> {
                while (!stop.get()) {
                  try {
                    Thread.sleep(100);
                  } catch (InterruptedException e) {
                    return;
                  }
                  synchronized (out) {
                    System.out.println("OK " + ok.getAndSet(0));
                    System.out.flush();
                  }
                }
              });
      ticker.start();
      InputStream in = System.in;
      while (in.read() >= 0) {
        // until the harness closes stdin
      }
      stop.set(true);
      for (Thread t : threads) {
        t.join();
      }
      ticker.join();
      if (ackedFile != null) {
        Files.write(Path.of(ackedFile), acked);
      }
      synchronized (out) {
        System.out.println("OK " + ok.getAndSet(0));
        System.out.println("TOTAL ok=" + okTotal.get() + " failed=" + failed.get());
        System.out.flush();
      }
    }
    System.exit(0);
  }
}

package zdmctl.matrix;

import java.util.List;

/**
 * Driver compatibility script, DataStax Java driver 4.x. Same steps and output as
 * e2e/drivers/gocql and e2e/drivers/python: one "PASS step" or "FAIL step: why"
 * line per step, a final RESULT line, exit status 1 on the first failure.
 *
 * <pre>java -cp ... zdmctl.matrix.Main --contact 127.0.0.2:9042 --proto 5 --keyspace ks [--user u]</pre>
 *
 * The password comes from $CQL_PASSWORD so it never shows in argv.
 */
public final class Main {
  public static void main(String[] argv) {
    Args a = Args.parse(argv);
    int rc;
    try (Matrix m = new Matrix(a)) {
      rc = run(m);
    }
    System.out.flush();
    System.exit(rc);
  }

  private static int run(Matrix m) {
    List<Matrix.Step> steps = m.steps();
    for (Matrix.Step s : steps) {
      String detail;
      try {
        detail = s.fn().call();
      } catch (Throwable e) {
        System.out.println("FAIL " + s.name() + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
        System.out.println("RESULT FAIL driver=java step=" + s.name());
        e.printStackTrace(System.err);
        return 1;
      }
      System.out.println(detail.isEmpty() ? "PASS " + s.name() : "PASS " + s.name() + ": " + detail);
    }
    System.out.println("RESULT PASS driver=java protocol=" + m.protocolName());
    return 0;
  }
}

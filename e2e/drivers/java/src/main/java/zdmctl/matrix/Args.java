package zdmctl.matrix;

/** Command-line arguments; the password is taken from $CQL_PASSWORD. */
record Args(
    String host,
    int port,
    String user,
    String password,
    int proto,
    String keyspace,
    String compression,
    String tlsCa) {
  static Args parse(String[] argv) {
    String contact = "127.0.0.1:9042", user = "", keyspace = "zdm_matrix_java", compression = "", tlsCa = "";
    int proto = 0;
    for (int i = 0; i < argv.length; i++) {
      String k = argv[i];
      if (i + 1 >= argv.length) {
        usage("missing value for " + k);
      }
      String v = argv[++i];
      switch (k) {
        case "--contact" -> contact = v;
        case "--user" -> user = v;
        case "--proto" -> proto = Integer.parseInt(v);
        case "--keyspace" -> keyspace = v;
        case "--compression" -> compression = v;
        case "--tls-ca" -> tlsCa = v;
        default -> usage("unknown flag " + k);
      }
    }
    if (proto != 0 && proto != 4 && proto != 5) {
      usage("--proto must be 4 or 5");
    }
    int colon = contact.lastIndexOf(':');
    if (colon < 0) {
      usage("--contact must be host:port");
    }
    String host = contact.substring(0, colon).replace("[", "").replace("]", "");
    String pw = System.getenv().getOrDefault("CQL_PASSWORD", "");
    return new Args(
        host, Integer.parseInt(contact.substring(colon + 1)), user, pw, proto, keyspace, compression, tlsCa);
  }

  private static void usage(String why) {
    System.err.println("java-matrix: " + why);
    System.err.println("usage: --contact host:port [--user name] [--proto 4|5] [--keyspace ks] [--compression lz4] [--tls-ca ca.pem]");
    System.exit(2);
  }
}

//go:build javadriver

package proxy_test

// Interop check with the Apache Cassandra Java driver 4.x (developer tool).
// JAVA_CHECK_CP is a classpath holding java-driver-core (and lz4-java) and
// the compiled testdata/JavaDriverCheck.java (class check.Main). With
// testdata/javadriver-pom.xml as pom.xml and the source in
// src/main/java/check/Main.java:
//   mvn -q compile dependency:build-classpath -Dmdep.outputFile=cp.txt
//   JAVA_CHECK_CP=target/classes:$(cat cp.txt) go test -tags javadriver -run TestJavaDriver -v ./proxy/

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/internal/cqltest"
)

func TestJavaDriver(t *testing.T) {
	for _, tc := range []struct {
		name, proto, comp string
		auth, capV4       bool
	}{
		{name: "default"}, {name: "v4", proto: "V4"}, {name: "v5-auth", proto: "V5", auth: true},
		{name: "target-capped-v4", capV4: true}, {name: "v4-lz4", proto: "V4", comp: "lz4"}, {name: "v5-lz4", proto: "V5", comp: "lz4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := envOpts{}
			if tc.auth {
				o.target = cqltest.Options{Username: "tu", Password: "tp"}
				o.origin = cqltest.Options{Username: "ou", Password: "op"}
				o.extraEnv = []string{"ZDM_ORIGIN_USERNAME=ou", "ZDM_ORIGIN_PASSWORD=op"}
			}
			if tc.capV4 {
				o.target.MaxVersion = primitive.ProtocolVersion4
			}
			e := newEnv(t, o)
			host, port, _ := net.SplitHostPort(e.addr)
			proto := tc.proto
			if proto == "" {
				proto = "0"
			}
			args := []string{"-cp", os.Getenv("JAVA_CHECK_CP"), "check.Main", host, port, proto}
			if tc.auth || tc.comp != "" {
				args = append(args, "tu", "tp")
			}
			if tc.comp != "" {
				args = append(args, tc.comp)
			}
			out, err := exec.Command("java", args...).CombinedOutput()
			t.Logf("%s", out)
			if err != nil || !strings.Contains(string(out), "OK") {
				t.Fatalf("java driver failed: %v", err)
			}
			if tc.capV4 && !strings.Contains(string(out), "protocol V4") {
				t.Fatal("driver did not settle on V4")
			}
			if len(e.target.Queries("INSERT INTO t2")) != 1 {
				t.Fatal("write after USE did not reach target")
			}
		})
	}
}

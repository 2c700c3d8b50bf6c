//go:build pydriver

package proxy_test

// Interop check with the DataStax Python driver (developer tool):
//   PYTHON=/path/to/python-with-cassandra-driver \
//   go test -tags pydriver -run TestPythonDriver -v ./proxy/

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/internal/cqltest"
)

func TestPythonDriver(t *testing.T) {
	for _, tc := range []struct {
		name  string
		proto string
		auth  bool
		capV4 bool
	}{{"default", "0", false, false}, {"v4", "4", false, false}, {"v3", "3", false, false}, {"v5-auth", "5", true, false}, {"target-capped-v4", "0", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			o := envOpts{}
			args := []string{"testdata/pydriver_check.py"}
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
			args = append(args, host, port, tc.proto)
			if tc.auth {
				args = append(args, "tu", "tp")
			}
			out, err := exec.Command(os.Getenv("PYTHON"), args...).CombinedOutput()
			t.Logf("%s", out)
			if err != nil || !strings.Contains(string(out), "OK") {
				t.Fatalf("python driver failed: %v", err)
			}
			if tc.capV4 && !strings.Contains(string(out), "protocol 4") {
				t.Fatal("driver did not settle on v4")
			}
			if len(e.target.Queries("INSERT INTO t2")) != 1 {
				t.Fatal("write after set_keyspace did not reach target")
			}
		})
	}
}

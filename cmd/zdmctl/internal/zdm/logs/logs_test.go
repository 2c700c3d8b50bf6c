package logs

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
)

type journalHost struct {
	transport.Conn
	name string
	cmds *[]string
}

func (c journalHost) Host() string { return c.name }
func (c journalHost) Close() error { return nil }
func (c journalHost) Exec(_ context.Context, cmd string, o transport.ExecOptions) (transport.ExecResult, error) {
	*c.cmds = append(*c.cmds, cmd)
	return transport.ExecResult{Stdout: []byte("log of " + c.name + "\n")}, nil
}

func TestCollectOneFilePerHost(t *testing.T) {
	inv := cmdtest.NewInventory("p1", "p2", "p3")
	inv.Vars["origin_contact_points"] = "o"
	inv.Vars["target_contact_points"] = "t"
	f, out, _ := cmdtest.Factory(inv)
	var cmds []string
	f.Settings.Forks = 1 // the fake records commands without a lock
	f.Dial = func(transport.DialOptions) runner.DialFunc {
		return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
			if h.Name == "p3" {
				return nil, &transport.UnreachableError{Host: h.Name, Err: errors.New("no route")}
			}
			return journalHost{name: h.Name, cmds: &cmds}, nil
		}
	}
	path := filepath.Join(t.TempDir(), "logs.tar.gz")
	err := Run(&Options{F: f, Since: 90 * time.Minute, Out: path, Now: time.Now})
	if cmdutil.ExitCode(err) != cmdutil.ExitFailed || !strings.Contains(err.Error(), "1/3 hosts missing") {
		t.Fatalf("want a failure for p3: %v", err)
	}
	if strings.TrimSpace(out.String()) != path {
		t.Errorf("stdout %q", out)
	}
	if len(cmds) != 2 || !strings.Contains(cmds[0], "journalctl -u zdm-proxy") || !strings.Contains(cmds[0], "--since=-5400s") {
		t.Errorf("commands %q", cmds)
	}
	files := readTar(t, path)
	if files["p1.log"] != "log of p1\n" || files["p2.log"] != "log of p2\n" || !strings.Contains(files["p3.error"], "no route") || len(files) != 3 {
		t.Fatalf("archive %v", files)
	}
}

func readTar(t *testing.T, path string) map[string]string {
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	gz, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out[h.Name] = string(b)
	}
}

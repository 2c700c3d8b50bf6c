package zdmcmd

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
)

// clockHost answers `date +%s%N` with this machine's time plus offset.
type clockHost struct {
	transport.Conn
	offset time.Duration
}

func (c clockHost) Close() error { return nil }
func (c clockHost) Exec(_ context.Context, cmd string, _ transport.ExecOptions) (transport.ExecResult, error) {
	if cmd != "date +%s%N" {
		return transport.ExecResult{ExitCode: 1}, nil
	}
	return transport.ExecResult{Stdout: []byte(strconv.FormatInt(time.Now().Add(c.offset).UnixNano(), 10) + "\n")}, nil
}

func TestCheckClocks(t *testing.T) {
	inv := cmdtest.NewInventory("p1", "p2", "p3")
	inv.Vars["origin_contact_points"] = "o"
	inv.Vars["target_contact_points"] = "t"
	f, _, _ := cmdtest.Factory(inv)
	offsets := map[string]time.Duration{"p1": 0, "p2": 2 * time.Second, "p3": -100 * time.Millisecond}
	f.Dial = func(transport.DialOptions) runner.DialFunc {
		return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
			return clockHost{offset: offsets[h.Name]}, nil
		}
	}
	env, err := Load(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	probs := env.CheckClocks(context.Background(), env.Fleet.Proxies)
	if len(probs) != 1 || !strings.HasPrefix(probs[0], "p2: clock is ") || !strings.Contains(probs[0], "off this machine's (more than 500ms)") {
		t.Fatalf("%q", probs)
	}
}

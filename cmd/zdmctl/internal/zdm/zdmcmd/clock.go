package zdmcmd

import (
	"context"
	"fmt"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
)

// MaxClockSkew is how far a proxy host's clock may be from the controller's.
const MaxClockSkew = 500 * time.Millisecond

// CheckClocks compares every host's clock with this machine's (half the
// round trip accounted for) and returns one line per problem.
func (e *Env) CheckClocks(ctx context.Context, hosts []*inventory.Host) []string {
	var mu sync.Mutex
	var probs []string
	e.Each(ctx, hosts, func(_ int, h *inventory.Host, conn transport.Conn, err error) {
		if err != nil {
			if DialExitCode(err) == cmdutil.ExitAuth {
				return // the playbook's preflight reports it, exit 4
			}
			mu.Lock()
			probs = append(probs, fmt.Sprintf("%s: %v", h.Name, err))
			mu.Unlock()
			return
		}
		skew, err := clockSkew(ctx, conn)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			probs = append(probs, fmt.Sprintf("%s: clock check: %v", h.Name, err))
		case skew > MaxClockSkew || skew < -MaxClockSkew:
			probs = append(probs, fmt.Sprintf("%s: clock is %s off this machine's (more than %s): fix NTP on the host", h.Name, skew.Round(time.Millisecond), MaxClockSkew))
		}
	})
	return probs
}

func clockSkew(ctx context.Context, conn transport.Conn) (time.Duration, error) {
	best := time.Duration(0)
	bestRTT := time.Duration(1 << 62)
	for range 3 {
		t0 := time.Now()
		res, err := conn.Exec(ctx, "date +%s%N", transport.ExecOptions{})
		t1 := time.Now()
		if err != nil {
			return 0, err
		}
		ns, err := strconv.ParseInt(strings.TrimSpace(string(res.Stdout)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected `date` output %q", strings.TrimSpace(string(res.Stdout)))
		}
		rtt := t1.Sub(t0)
		if rtt < bestRTT {
			bestRTT = rtt
			mid := t0.Add(rtt / 2)
			best = time.Unix(0, ns).Sub(mid)
		}
	}
	return best, nil
}

package rollingupdate

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdtest"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/zdmcmd"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/deploy/zdm"
	"github.com/zdmctl/zdmctl/inventory"
)

// gateFleet is three proxies in phase 3 (ready, dual reads, primary
// Origin, running the inventory's config) and a monitoring host whose
// Prometheus answers each gate query with prom's value for the first
// key its PromQL contains. Any other command fails (exit 1) and is
// counted: a refused step must run none.
type gateFleet struct {
	t     *testing.T
	want  map[string]string // host -> config sha256 it runs
	prom  map[string]float64
	mu    sync.Mutex
	other []string
}

type gateConn struct {
	transport.Conn
	fl   *gateFleet
	name string
}

func (c gateConn) Host() string { return c.name }
func (c gateConn) Close() error { return nil }
func (c gateConn) Exec(_ context.Context, cmd string, o transport.ExecOptions) (transport.ExecResult, error) {
	var stdin []byte
	if o.Stdin != nil {
		stdin, _ = io.ReadAll(o.Stdin)
	}
	http := func(body string) string { return "HTTP/1.0 200 OK\r\n\r\n" + body }
	switch {
	case strings.Contains(cmd, "journal status"):
		return journalHost{name: c.name}.Exec(context.Background(), cmd, o)
	case cmd == "bash -s" && bytes.Contains(stdin, []byte("/api/v1/query?query=")):
		q := string(stdin[bytes.Index(stdin, []byte("query="))+6:])
		q, _, _ = strings.Cut(q, "'")
		promql, _ := url.QueryUnescape(q)
		for _, k := range []string{"zdm_async_read_mismatch_total", "count(up", "zdm_async_read_compared_total", "zdm_proxy_failed_writes_total", "histogram_quantile"} {
			if strings.Contains(promql, k) {
				v := c.fl.prom[k]
				return transport.ExecResult{Stdout: []byte(http(fmt.Sprintf(`{"status":"success","data":{"result":[{"value":[0,"%g"]}]}}`, v)))}, nil
			}
		}
		return transport.ExecResult{Stdout: []byte(http(`{"status":"success","data":{"result":[]}}`))}, nil
	case cmd == "bash -s" && bytes.Contains(stdin, []byte("readiness=")):
		sha := c.fl.want[c.name]
		b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(http(s))) }
		out := fmt.Sprintf("installed=yes\nservice=active\ndisk_sha=%s\nreadiness=%s\nstatus=%s\n", sha, b64(`{"ready":true}`),
			b64(fmt.Sprintf(`{"version":"1.0","read_mode":"DUAL_ASYNC_ON_SECONDARY","primary_cluster":"ORIGIN","config_sha256":%q}`, sha)))
		return transport.ExecResult{Stdout: []byte(out)}, nil
	case cmd == "bash -s":
		return transport.ExecResult{ExitCode: 1}, nil // the monitoring probe: down
	}
	c.fl.mu.Lock()
	c.fl.other = append(c.fl.other, c.name+": "+cmd)
	c.fl.mu.Unlock()
	return transport.ExecResult{ExitCode: 1, Stderr: []byte("fake host: not supported")}, nil
}

// gateOpts is testOpts with a monitoring host and gateFleet connections;
// prom starts healthy (100 reads compared, none mismatched).
func gateOpts(t *testing.T) (*Options, *gateFleet, *int, *bytes.Buffer) {
	o, saves := testOpts(t)
	inv := o.F.LoadInventory
	ci, _ := inv("")
	base := ci.(cmdtest.Inventory)
	base.Hosts = append(base.Hosts, &inventory.Host{Name: "m1", Address: "127.0.0.1", Connection: "local", Vars: map[string]any{}, Groups: []string{"monitoring"}})
	base.Groups = append(base.Groups, &inventory.Group{Name: "monitoring", Vars: map[string]any{}, Hosts: []string{"m1"}})
	plan, err := zdm.Plan(base, nil)
	if err != nil {
		t.Fatal(err)
	}
	fl := &gateFleet{t: t, want: map[string]string{}, prom: map[string]float64{"count(up": 3, "zdm_async_read_compared_total": 100, "histogram_quantile": 1.1}}
	for name, c := range plan.Configs {
		fl.want[name] = c.SHA256()
	}
	o.F.Dial = func(transport.DialOptions) runner.DialFunc {
		return func(_ context.Context, h *inventory.Host) (transport.Conn, error) {
			return gateConn{fl: fl, name: h.Name}, nil
		}
	}
	errBuf := &bytes.Buffer{}
	o.F.IO.ErrOut = errBuf
	return o, fl, saves, errBuf
}

func TestPrimarySwitchRefusedByMismatches(t *testing.T) {
	o, fl, saves, stderr := gateOpts(t)
	fl.prom["zdm_async_read_mismatch_total"] = 0.25 // the rate query
	o.PrimaryCluster = "TARGET"
	err := Run(o)
	if cmdutil.ExitCode(err) != cmdutil.ExitGate {
		t.Fatalf("exit %d: %v\n%s", cmdutil.ExitCode(err), err, stderr)
	}
	for _, want := range []string{"rolling-update --primary-cluster TARGET refused, nothing changed", "async read mismatch rate over 15m = 0.25 (want <= 0)", `--force --reason "why"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if !strings.Contains(stderr.String(), "FAIL  async read mismatch rate over 15m") || !strings.Contains(stderr.String(), "PASS  every proxy ready, no drift") {
		t.Errorf("checks not printed:\n%s", stderr)
	}
	if *saves != 0 || len(fl.other) != 0 {
		t.Fatalf("refused, yet saved %d times or ran %q", *saves, fl.other)
	}
	if acts, _ := zdm.ReadActions(zdm.ActionsPath(o.F.Settings.Inventory)); len(acts) != 0 {
		t.Fatalf("a refusal recorded an action: %+v", acts)
	}

	// -o json: one document with the checks.
	o2, fl2, _, _ := gateOpts(t)
	fl2.prom["zdm_async_read_mismatch_total"] = 0.25
	o2.PrimaryCluster = "TARGET"
	o2.F.Settings.Output = "json"
	out := &bytes.Buffer{}
	o2.F.IO.Out = out
	err = Run(o2)
	var doc struct {
		OK       bool   `json:"ok"`
		ExitCode int    `json:"exit_code"`
		Error    string `json:"error"`
		Data     struct {
			Checks  []zdm.Check `json:"checks"`
			Failing []zdm.Check `json:"failing"`
		} `json:"data"`
	}
	if jerr := json.Unmarshal(out.Bytes(), &doc); jerr != nil || doc.OK || doc.ExitCode != cmdutil.ExitGate || len(doc.Data.Checks) != 6 ||
		len(doc.Data.Failing) != 1 || doc.Data.Failing[0].Value != "0.25" {
		t.Fatalf("json: %v %+v\n%s", jerr, doc, out)
	}
	if cmdutil.ReportError(o2.F.IO, true, err) != cmdutil.ExitGate || strings.Count(out.String(), `"ok"`) != 1 {
		t.Fatalf("a second document was written:\n%s", out)
	}
}

func TestForceNeedsReason(t *testing.T) {
	for name, tc := range map[string]struct {
		mod  func(o *Options)
		want string
	}{
		"force alone":      {func(o *Options) { o.Force.Force = true }, "--force needs --reason"},
		"blank reason":     {func(o *Options) { o.Force = zdmcmdForce(" ") }, "--force needs --reason"},
		"reason alone":     {func(o *Options) { o.Force.Reason = "x" }, "--reason goes with --force"},
		"nothing to force": {func(o *Options) { o.LogLevel = "DEBUG"; o.Force = zdmcmdForce("because") }, "has no go/no-go checks to override"},
	} {
		t.Run(name, func(t *testing.T) {
			o, fl, saves, _ := gateOpts(t)
			o.PrimaryCluster = "TARGET"
			if name == "nothing to force" {
				o.PrimaryCluster = ""
			}
			tc.mod(o)
			err := Run(o)
			if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want usage error %q", err, tc.want)
			}
			if *saves != 0 || len(fl.other) != 0 {
				t.Fatal("changed something")
			}
		})
	}
}

func TestForceReasonGoesOnAndIsRecorded(t *testing.T) {
	o, fl, _, stderr := gateOpts(t)
	fl.prom["zdm_async_read_mismatch_total"] = 0.25
	o.PrimaryCluster = "TARGET"
	o.Force = zdmcmdForce("rows differ only in a writetime the app ignores")
	err := Run(o)
	// Past the gate: the rollout starts, and stops at the fleet lock the
	// fake host cannot take.
	if cmdutil.ExitCode(err) == cmdutil.ExitGate || len(fl.other) == 0 {
		t.Fatalf("the forced step did not go on: %v, ran %q", err, fl.other)
	}
	if !strings.Contains(stderr.String(), "warning: --force: rolling-update --primary-cluster TARGET goes on despite 1 failing check(s): async read mismatch rate over 15m = 0.25") {
		t.Errorf("no warning naming the check:\n%s", stderr)
	}
	acts, rerr := zdm.ReadActions(zdm.ActionsPath(o.F.Settings.Inventory))
	if rerr != nil || len(acts) != 1 {
		t.Fatalf("journal of actions: %+v %v", acts, rerr)
	}
	a := acts[0]
	if a.Action != zdm.ActionForceGate || a.Command != "rolling-update --primary-cluster TARGET" || a.Reason != o.Force.Reason ||
		len(a.Checks) != 1 || a.Checks[0].Value != "0.25" || !strings.Contains(a.By, "@") {
		t.Fatalf("recorded %+v", a)
	}
}

func TestGatesPassAndChangeRunsAlready(t *testing.T) {
	o, fl, _, stderr := gateOpts(t)
	o.PrimaryCluster = "TARGET"
	err := Run(o) // healthy: past the gate, stopped at the lock
	if cmdutil.ExitCode(err) == cmdutil.ExitGate || !strings.Contains(stderr.String(), "go:    yes, every check passes") {
		t.Fatalf("healthy fleet refused: %v\n%s", err, stderr)
	}
	if acts, _ := zdm.ReadActions(zdm.ActionsPath(o.F.Settings.Inventory)); len(acts) != 0 {
		t.Fatalf("no override, yet recorded %+v", acts)
	}
	// Dual reads already on everywhere: nothing to gate, even with
	// mismatches.
	o2, fl2, _, stderr2 := gateOpts(t)
	fl2.prom["zdm_async_read_mismatch_total"] = 1
	o2.ReadMode = "DUAL_ASYNC_ON_SECONDARY"
	if err := Run(o2); cmdutil.ExitCode(err) == cmdutil.ExitGate || !strings.Contains(stderr2.String(), "every proxy already runs read_mode=DUAL_ASYNC_ON_SECONDARY") {
		t.Fatalf("%v\n%s", err, stderr2)
	}
	_ = fl
}

func zdmcmdForce(reason string) zdmcmd.Force { return zdmcmd.Force{Force: true, Reason: reason} }

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/datastax/go-cassandra-native-protocol/primitive"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy/admin"
)

func TestAsyncWriteModeNeedsAWritableJournal(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	os.WriteFile(file, nil, 0o600)
	for _, tc := range []struct{ dir, want string }{
		{"", "write_mode DUAL_ASYNC_ON_SECONDARY needs journal_dir (env ZDM_JOURNAL_DIR)"},
		{filepath.Join(t.TempDir(), "missing"), "needs a writable journal_dir"},
		{file, "not a directory"},
	} {
		cmd := exec.Command(binary)
		cmd.Env = []string{"ZDM_ORIGIN_CONTACT_POINTS=127.0.0.1", "ZDM_TARGET_CONTACT_POINTS=127.0.0.1",
			"ZDM_WRITE_MODE=DUAL_ASYNC_ON_SECONDARY", "ZDM_JOURNAL_DIR=" + tc.dir,
			"ZDM_PROXY_LISTEN_ADDRESS=127.0.0.1", fmt.Sprintf("ZDM_PROXY_LISTEN_PORT=%d", freePort(t)),
			"ZDM_METRICS_ADDRESS=127.0.0.1", fmt.Sprintf("ZDM_METRICS_PORT=%d", freePort(t))}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
				t.Fatalf("journal_dir %q: exit %v", tc.dir, err)
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("journal_dir %q: the proxy started:\n%s", tc.dir, stderr.String())
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Fatalf("journal_dir %q: stderr %q, want %q", tc.dir, stderr.String(), tc.want)
		}
	}
}

func journalCmd(t *testing.T, args ...string) (map[string]any, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(binary, append([]string{"journal"}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var doc map[string]any
	if jerr := json.Unmarshal(stdout.Bytes(), &doc); jerr != nil {
		t.Fatalf("journal %v: stdout is not JSON (%v): %q; stderr %q; exit %v", args, jerr, stdout.String(), stderr.String(), err)
	}
	return doc, stderr.String()
}

// TestJournalFrozenTargetThenReplay: a Target that never answers writes,
// in DUAL_ASYNC_ON_SECONDARY: the client sees no error, the journal (status,
// metrics, zdm-proxy journal status) holds the writes, and zdm-proxy journal
// replay puts them on Target with Origin's timestamps.
func TestJournalFrozenTargetThenReplay(t *testing.T) {
	origin := cqltest.Start(t, cqltest.Options{Name: "origin"})
	target := cqltest.Start(t, cqltest.Options{Name: "target"})
	frozen := true
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	target.SetHook(func(r cqltest.Received) cqltest.Action {
		<-mu
		f := frozen
		mu <- struct{}{}
		return cqltest.Action{NoAnswer: f && r.Opcode == primitive.OpCodeExecute} // PREPARE still answers
	})
	jdir := t.TempDir()
	port, mport := freePort(t), freePort(t)
	path := filepath.Join(t.TempDir(), "zdm.yaml")
	os.WriteFile(path, []byte(fmt.Sprintf("origin_contact_points: 127.0.0.1\norigin_port: %d\ntarget_contact_points: 127.0.0.1\ntarget_port: %d\n"+
		"proxy_listen_address: 127.0.0.1\nproxy_listen_port: %d\nmetrics_address: 127.0.0.1\nmetrics_port: %d\n"+
		"admin_address: 127.0.0.1\nadmin_port: %d\n"+
		"write_mode: DUAL_ASYNC_ON_SECONDARY\njournal_dir: %s\nproxy_request_timeout_ms: 300\n",
		origin.Port(), target.Port(), port, mport, mport, jdir)), 0o600)
	_, logs := runProxy(t, path)
	s := connect(t, port, logs, nil)
	const n = 20
	for i := 0; i < n; i++ {
		if err := s.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", fmt.Sprint(i), "v").Exec(); err != nil {
			t.Fatalf("write %d: the client saw the frozen Target: %v", i, err)
		}
	}
	adminURL := fmt.Sprintf("http://127.0.0.1:%d", mport)
	waitUntil(t, "20 journaled writes in /api/v1/status", func() bool {
		st, err := admin.GetStatus(context.Background(), http.DefaultClient, adminURL)
		return err == nil && st.Journal != nil && st.Journal.Pending == n
	})
	resp, err := http.Get(adminURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"zdm_journal_pending_records 20", `zdm_secondary_write_failures_total{cluster="target",keyspace="ks",reason="timeout",table="t"} 20`} {
		if !strings.Contains(string(body), want) {
			t.Fatalf("metrics lack %q", want)
		}
	}
	doc, _ := journalCmd(t, "status", "--config", path, "-o", "json")
	st := doc["status"].(map[string]any)
	if st["pending"].(float64) != n || len(st["tables"].([]any)) != 1 {
		t.Fatalf("journal status: %v", doc)
	}

	<-mu
	frozen = false
	mu <- struct{}{}
	doc, stderr := journalCmd(t, "replay", "--config", path, "-o", "json", "--rate", "0")
	rp := doc["replay"].(map[string]any)
	if rp["replayed"].(float64) != n || rp["remaining"].(float64) != 0 || doc["error"] != nil {
		t.Fatalf("replay: %v\n%s", doc, stderr)
	}
	// Every write is now on Target with the timestamp Origin stored.
	ts := func(c *cqltest.Cluster) map[string][]int64 {
		out := map[string][]int64{}
		for _, r := range c.Received() {
			if r.Opcode == primitive.OpCodeExecute && strings.HasPrefix(r.Query, "INSERT") && r.Timestamp != nil {
				out[string(r.Values[0])] = append(out[string(r.Values[0])], *r.Timestamp)
			}
		}
		return out
	}
	o, tg := ts(origin), ts(target)
	for i := 0; i < n; i++ {
		k := fmt.Sprint(i)
		if len(o[k]) != 1 || len(tg[k]) != 2 || tg[k][1] != o[k][0] {
			t.Fatalf("key %s: origin timestamps %v, target %v (the missed write, then its replay with Origin's timestamp)", k, o[k], tg[k])
		}
	}
	doc, _ = journalCmd(t, "status", "--config", path, "-o", "json")
	if doc["status"].(map[string]any)["pending"].(float64) != 0 {
		t.Fatalf("after replay: %v", doc)
	}
	waitUntil(t, "the proxy to see the replay", func() bool {
		st, err := admin.GetStatus(context.Background(), http.DefaultClient, adminURL)
		return err == nil && st.Journal != nil && st.Journal.Pending == 0
	})
}

// TestCorruptJournalSegmentAtStartup: a segment with garbage in journal_dir
// is reported (log, metric) and the proxy starts anyway.
func TestCorruptJournalSegmentAtStartup(t *testing.T) {
	origin := cqltest.Start(t, cqltest.Options{Name: "origin"})
	target := cqltest.Start(t, cqltest.Options{Name: "target"})
	jdir := t.TempDir()
	os.MkdirAll(filepath.Join(jdir, "replay"), 0o750)
	os.WriteFile(filepath.Join(jdir, "replay", "seg-0000000000000001.zj"), []byte("ZDMJRNL1 this is not a record"), 0o600)
	mport := freePort(t)
	cmd := exec.Command(binary)
	cmd.Env = []string{"ZDM_ORIGIN_CONTACT_POINTS=127.0.0.1", fmt.Sprintf("ZDM_ORIGIN_PORT=%d", origin.Port()),
		"ZDM_TARGET_CONTACT_POINTS=127.0.0.1", fmt.Sprintf("ZDM_TARGET_PORT=%d", target.Port()),
		"ZDM_WRITE_MODE=DUAL_ASYNC_ON_SECONDARY", "ZDM_JOURNAL_DIR=" + jdir,
		"ZDM_PROXY_LISTEN_ADDRESS=127.0.0.1", fmt.Sprintf("ZDM_PROXY_LISTEN_PORT=%d", freePort(t)),
		"ZDM_METRICS_ADDRESS=127.0.0.1", fmt.Sprintf("ZDM_METRICS_PORT=%d", mport),
		"ZDM_ADMIN_ADDRESS=127.0.0.1", fmt.Sprintf("ZDM_ADMIN_PORT=%d", freePort(t))}
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var body string
	waitUntil(t, "metrics", func() bool {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", mport))
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		return true
	})
	if !strings.Contains(body, "zdm_journal_corrupt_segments 1") {
		t.Fatalf("metrics lack zdm_journal_corrupt_segments 1\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "journal segment corrupt") {
		t.Fatalf("no error logged:\n%s", logs.String())
	}
}

// TestWriteModeReload: write_mode switches with SIGHUP when a journal was
// opened at start, and the switch is refused when none was.
func TestWriteModeReload(t *testing.T) {
	origin := cqltest.Start(t, cqltest.Options{Name: "origin"})
	target := cqltest.Start(t, cqltest.Options{Name: "target"})
	for _, withJournal := range []bool{true, false} {
		port, mport := freePort(t), freePort(t)
		jdir := t.TempDir()
		base := fmt.Sprintf("origin_contact_points: 127.0.0.1\norigin_port: %d\ntarget_contact_points: 127.0.0.1\ntarget_port: %d\n"+
			"proxy_listen_address: 127.0.0.1\nproxy_listen_port: %d\nmetrics_address: 127.0.0.1\nmetrics_port: %d\n"+
			"admin_address: 127.0.0.1\nadmin_port: %d\n",
			origin.Port(), target.Port(), port, mport, mport)
		if withJournal {
			base += "journal_dir: " + jdir + "\n"
		}
		path := filepath.Join(t.TempDir(), "zdm.yaml")
		os.WriteFile(path, []byte(base), 0o600)
		cmd := exec.Command(binary, "--config", path)
		var logs syncBuffer
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		adminURL := fmt.Sprintf("http://127.0.0.1:%d", mport)
		status := func() admin.Status {
			st, _ := admin.GetStatus(context.Background(), http.DefaultClient, adminURL)
			return st
		}
		waitUntil(t, "status", func() bool { return status().WriteMode == "DUAL_SYNC" })
		next := base + "write_mode: DUAL_ASYNC_ON_SECONDARY\n"
		if !withJournal { // journal_dir needs a restart: not opened by a reload
			next += "journal_dir: " + jdir + "\n"
		}
		os.WriteFile(path, []byte(next), 0o600)
		cmd.Process.Signal(syscall.SIGHUP)
		if withJournal {
			waitUntil(t, "write_mode reloaded", func() bool { return status().WriteMode == "DUAL_ASYNC_ON_SECONDARY" })
			if st := status(); st.RestartPending || st.Journal == nil {
				t.Fatalf("status after the reload: %+v", st)
			}
		} else {
			waitUntil(t, "reload rejected", func() bool {
				return strings.Contains(logs.String(), "needs the journal_dir opened at start")
			})
			if st := status(); st.WriteMode != "DUAL_SYNC" {
				t.Fatalf("write_mode after a rejected reload: %q", st.WriteMode)
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
	}
}

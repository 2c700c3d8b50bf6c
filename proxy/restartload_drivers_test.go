//go:build restartload

package proxy_test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// startDriverLoad drives the load with the Python or the Java driver: the
// scripts e2e/drivers/python/load.py and e2e/drivers/java (class Load) run
// the same statements as the gocql load and report "OK n" and "FAIL
// class: message" lines, which are counted against the restart in
// progress when they arrive.
func startDriverLoad(t *testing.T, kind string, port, workers int, idempotent bool, cur *atomic.Pointer[restartWindow]) *loadRun {
	t.Helper()
	args := []string{"--contacts", strings.Join(restartIPs, ","), "--port", strconv.Itoa(port), "--workers", strconv.Itoa(workers)}
	if !idempotent {
		args = append(args, "--not-idempotent")
	}
	if os.Getenv("RESTARTLOAD_RETRY") == "none" && kind == "python" {
		args = append(args, "--no-retry")
	}
	var cmd *exec.Cmd
	switch kind {
	case "python":
		cmd = exec.Command("/usr/bin/python3", append([]string{"../e2e/drivers/python/load.py"}, args...)...)
	case "java":
		cmd = exec.Command("../e2e/drivers/java/run.sh", args...)
		cmd.Env = append(cmd.Environ(), "JAVA_MAIN=zdmctl.matrix.Load")
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{} // observe_test.go
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s load: %v", kind, err)
	}
	ready := make(chan struct{})
	done := make(chan struct{})
	var total string
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		readyOnce := sync.OnceFunc(func() { close(ready) })
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "READY":
				readyOnce()
			case strings.HasPrefix(line, "OK "):
				n, _ := strconv.Atoi(strings.TrimPrefix(line, "OK "))
				cur.Load().ok.Add(int64(n))
			case strings.HasPrefix(line, "FAIL "):
				msg := strings.TrimPrefix(line, "FAIL ")
				class, _, _ := strings.Cut(msg, ":")
				cur.Load().failAs(kind+" "+class, msg)
			case strings.HasPrefix(line, "TOTAL "):
				total = line
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case <-ready:
	case <-done:
		_ = cmd.Wait()
		t.Fatalf("%s load exited before READY:\n%s", kind, stderr.String())
	case <-time.After(3 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("%s load not READY in 3 min:\n%s", kind, stderr.String())
	}
	return &loadRun{
		stop: func() {
			_ = stdin.Close()
			<-done
			if err := cmd.Wait(); err != nil {
				t.Errorf("%s load: %v\n%s", kind, err, stderr.String())
			}
			t.Logf("%s load: %s", kind, total)
		},
		attempts:  &attemptLog{failed: map[string]int{}},
		reconnect: 200 * time.Millisecond,
	}
}

package hostile

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// proxyProc is a zdm-proxy child process.
type proxyProc struct {
	cmd     *exec.Cmd
	addr    string // CQL host:port
	admin   string // admin host:port
	logPath string
	exited  chan error
}

func buildProxy(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("ZDM_TEST_HOSTILE_PROXY_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "zdm-proxy")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/zdm-proxy").CombinedOutput(); err != nil {
		t.Fatalf("go build zdm-proxy: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startProxy(t *testing.T, bin string, env []string) *proxyProc {
	t.Helper()
	cqlPort, adminPort := freePort(t), freePort(t)
	p := &proxyProc{addr: fmt.Sprintf("127.0.0.1:%d", cqlPort), admin: fmt.Sprintf("127.0.0.1:%d", adminPort),
		logPath: filepath.Join(t.TempDir(), "proxy.log"), exited: make(chan error, 1)}
	logf, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin)
	p.cmd.Env = append(os.Environ(), append([]string{
		"ZDM_PROXY_LISTEN_ADDRESS=127.0.0.1", "ZDM_PROXY_LISTEN_PORT=" + strconv.Itoa(cqlPort),
		"ZDM_METRICS_ADDRESS=127.0.0.1", "ZDM_METRICS_PORT=" + strconv.Itoa(adminPort),
	}, env...)...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait(); logf.Close() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			b, _ := os.ReadFile(p.logPath)
			lines := strings.Split(string(b), "\n")
			t.Logf("proxy log (last 30 of %d lines):\n%s", len(lines), strings.Join(lines[max(0, len(lines)-30):], "\n"))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.exited:
			b, _ := os.ReadFile(p.logPath)
			t.Fatalf("zdm-proxy exited during startup: %v\n%s", err, b)
		default:
		}
		if resp, err := http.Get("http://" + p.admin + "/health/readiness"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("zdm-proxy never became ready")
	return nil
}

// alive reports whether the process still runs.
func (p *proxyProc) alive() bool {
	select {
	case err := <-p.exited:
		p.exited <- err
		return false
	default:
		return true
	}
}

// memKB reads VmRSS and VmHWM (peak RSS) of the process, in KiB.
func (p *proxyProc) memKB(t *testing.T) (rss, hwm int) {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("read proxy memory: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	return rss, hwm
}

// logLines counts lines of the proxy log containing s.
func (p *proxyProc) logLines(s string) int {
	b, _ := os.ReadFile(p.logPath)
	return strings.Count(string(b), s)
}

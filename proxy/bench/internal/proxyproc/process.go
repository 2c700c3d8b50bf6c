package proxyproc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zdmctl/zdmctl/proxy/bench/internal/procstat"
)

// Process is a running proxy.
type Process struct {
	cmd     *exec.Cmd
	out     *tailBuffer
	done    chan struct{}
	waitErr error
}

// Start runs bin --config cfgPath and waits until it accepts TCP connections
// on listen. If the process exits first, or is not listening within timeout,
// it is killed and the error carries its output.
func Start(bin, cfgPath string, listen *net.TCPAddr, timeout time.Duration) (*Process, error) {
	cmd := exec.Command(bin, "--config", cfgPath)
	cmd.Env = childEnv()
	out := &tailBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	dieWithParent(cmd)
	p := &Process{cmd: cmd, out: out, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal is tied to the thread that forks, so the
		// process is started and awaited on one locked thread that lives
		// exactly as long as it does.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start proxy %s: %w", bin, err)
	}
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-p.done:
			return nil, fmt.Errorf("proxy %s exited before listening on %s (%v); its output:\n%s",
				bin, listen, p.waitErr, p.Output())
		default:
		}
		c, err := net.DialTimeout("tcp", listen.String(), 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return p, nil
		}
		if time.Now().After(deadline) {
			_ = p.Stop()
			return nil, fmt.Errorf("proxy %s not listening on %s after %v: %w; its output:\n%s",
				bin, listen, timeout, err, p.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// childEnv is the bench's environment without ZDM_* variables, which the
// proxy would read as configuration overrides.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ZDM_") {
			env = append(env, kv)
		}
	}
	return env
}

// PID is the proxy's process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// CPU is the user+system time the proxy has used so far.
func (p *Process) CPU() (procstat.CPU, error) { return procstat.Read(p.PID()) }

// Alive reports whether the process is still running.
func (p *Process) Alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Output is the tail of what the proxy wrote to stdout and stderr.
func (p *Process) Output() string { return p.out.String() }

// Stop sends SIGTERM, waits up to 5 s, then kills the process.
func (p *Process) Stop() error {
	if !p.Alive() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		_ = p.cmd.Process.Kill()
		<-p.done
		return errors.New("proxy ignored SIGTERM for 5s and was killed")
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

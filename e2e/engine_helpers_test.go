//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/internal/testfleet"
)

// Engine fixtures: the zdmctl binary (built once from ./cmd/zdmctl), and
// the e2e playbooks of testdata/e2e/engine copied into a temp dir with
// files/echod: a static TCP server (testdata/e2e/echod) padded with random
// bytes to echodSize, so every deploy uploads a real 25 MB binary that the
// service then runs.

const echodSize = 25 << 20

var (
	engineOnce sync.Once
	engineErr  error
	zdmctlBin  string // path of the built zdmctl
	engineDir  string // playbooks: deploy.yaml, rolling.yaml, files/, templates/
	echodSum   string // sha256 of files/echod
)

// repoRoot is the module root (this file lives in e2e/).
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// engineFixtures builds zdmctl and the playbook dir once per test binary.
func engineFixtures(t testing.TB) (bin, dir string) {
	t.Helper()
	engineOnce.Do(func() {
		tmp, err := os.MkdirTemp("", "zdmctl-e2e-engine-")
		if err != nil {
			engineErr = err
			return
		}
		atPackageExit(func() error { return os.RemoveAll(tmp) })
		engineErr = buildEngineFixtures(tmp)
	})
	if engineErr != nil {
		t.Fatalf("engine fixtures: %v", engineErr)
	}
	return zdmctlBin, engineDir
}

func buildEngineFixtures(tmp string) error {
	root := repoRoot()
	zdmctlBin = filepath.Join(tmp, "zdmctl")
	if out, err := goBuild(root, zdmctlBin, "./cmd/zdmctl"); err != nil {
		return fmt.Errorf("build zdmctl: %v: %s", err, out)
	}
	engineDir = filepath.Join(tmp, "engine")
	if err := os.CopyFS(engineDir, os.DirFS(filepath.Join(root, "testdata", "e2e", "engine"))); err != nil {
		return fmt.Errorf("copy playbooks: %w", err)
	}
	echod := filepath.Join(engineDir, "files", "echod")
	if out, err := goBuild(root, echod, "./testdata/e2e/echod"); err != nil {
		return fmt.Errorf("build echod: %v: %s", err, out)
	}
	sum, err := padFile(echod, echodSize)
	if err != nil {
		return err
	}
	echodSum = sum
	return nil
}

func goBuild(root, out, pkg string) ([]byte, error) {
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	return cmd.CombinedOutput()
}

// padFile appends seeded random bytes to the executable at p up to size
// (the kernel's ELF loader ignores trailing data) and returns its sha256.
func padFile(p string, size int64) (string, error) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return "", err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return "", err
	}
	if n := size - st.Size(); n > 0 {
		pad := make([]byte, n)
		rng := rand.NewChaCha8([32]byte{'z', 'd', 'm'})
		_, _ = rng.Read(pad)
		if _, err := f.Write(pad); err != nil {
			f.Close()
			return "", fmt.Errorf("pad %s: %w", p, err)
		}
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	out, err := exec.Command("sha256sum", p).Output()
	if err != nil {
		return "", fmt.Errorf("sha256sum %s: %w", p, err)
	}
	return strings.Fields(string(out))[0], nil
}

// zdmctlRun is one finished zdmctl process.
type zdmctlRun struct {
	Args   []string
	Code   int
	Stdout string
	Stderr string
	Took   time.Duration
	CPU    time.Duration // zdmctl's own user + system time
}

func (r zdmctlRun) String() string {
	return fmt.Sprintf("zdmctl %s: exit %d\n--- stdout:\n%s\n--- stderr:\n%s", strings.Join(r.Args, " "), r.Code, r.Stdout, r.Stderr)
}

// fleetArgs are the global flags that point zdmctl at fleet f: its
// inventory (or inv when not empty), known_hosts and ssh config.
func fleetArgs(f *testfleet.Fleet, inv string) []string {
	if inv == "" {
		inv = f.InventoryFile
	}
	return []string{"-i", inv, "--known-hosts", f.KnownHostsFile, "--ssh-config", f.SSHConfigFile}
}

// runZdmctl execs the zdmctl binary with args (working directory: the
// engine playbook dir) and returns what it did. Only failing to start it
// is fatal; a non-zero exit is for the caller to judge.
func runZdmctl(t testing.TB, args ...string) zdmctlRun {
	t.Helper()
	bin, dir := engineFixtures(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	// A config file of the machine's user must not leak into the test.
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := zdmctlRun{Args: args, Stdout: stdout.String(), Stderr: stderr.String(), Took: time.Since(start)}
	if ps := cmd.ProcessState; ps != nil {
		r.CPU = ps.UserTime() + ps.SystemTime()
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	case err != nil:
		t.Fatalf("zdmctl %v: %v", args, err)
	}
	return r
}

// runDoc is the part of `--output json` the tests read.
type runDoc struct {
	OK       bool   `json:"ok"`
	ExitCode int    `json:"exit_code"`
	Error    string `json:"error"`
	Result   struct {
		Duration float64 `json:"duration_s"`
		Stopped  string  `json:"stopped"`
		Plays    []struct {
			Name    string `json:"name"`
			Batches []struct {
				Hosts   []string `json:"hosts"`
				Stopped string   `json:"stopped"`
				Tasks   []struct {
					Task    string `json:"task"`
					Host    string `json:"host"`
					Status  string `json:"status"`
					Handler bool   `json:"handler"`
					Msg     string `json:"msg"`
					Diff    string `json:"diff"`
				} `json:"tasks"`
			} `json:"batches"`
		} `json:"plays"`
		Hosts []hostRecap `json:"hosts"`
	} `json:"result"`
}

type hostRecap struct {
	Host        string `json:"host"`
	OK          int    `json:"ok"`
	Changed     int    `json:"changed"`
	Failed      int    `json:"failed"`
	Unreachable int    `json:"unreachable"`
	Status      string `json:"status"`
	Error       string `json:"error"`
	AuthError   bool   `json:"auth_error"`
}

// doc decodes r's stdout as the one JSON document of --output json.
func (r zdmctlRun) doc(t testing.TB) runDoc {
	t.Helper()
	var d runDoc
	dec := json.NewDecoder(strings.NewReader(r.Stdout))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("stdout is not a JSON document: %v\n%s", err, r)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON document\n%s", r)
	}
	return d
}

// host returns the recap line of host name.
func (d runDoc) host(name string) (hostRecap, bool) {
	for _, h := range d.Result.Hosts {
		if h.Host == name {
			return h, true
		}
	}
	return hostRecap{}, false
}

// hostSh runs a shell line on h as root (through sudo on the sudo host),
// with bash so /dev/tcp works.
func hostSh(ctx context.Context, f *testfleet.Fleet, h testfleet.Host, line string) (string, error) {
	cmd := "bash -c " + shQuote(line)
	if h.User != "root" {
		cmd = "sudo -n " + cmd
	}
	return f.Exec(ctx, h.Name, cmd)
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// writeFile writes content to a new file in dir.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

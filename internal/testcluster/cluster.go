package testcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Options configure how the script is run.
type Options struct {
	// Script is the path of scripts/cassandra.sh; empty: found by walking up
	// from the working directory to the repository root.
	Script string
	// Env is added to the process environment, e.g. "ORIGIN_AUTH=1" or
	// "ORIGIN_ADDR=10.199.0.1".
	Env []string
	// Progress receives the script's progress lines (its stderr); nil: discarded.
	Progress io.Writer
}

// Clusters controls the Origin and Target nodes.
type Clusters struct {
	opts Options
	Info
}

// New finds the script and reads the connection info; it starts nothing.
func New(ctx context.Context, opts Options) (*Clusters, error) {
	if opts.Script == "" {
		s, err := FindScript()
		if err != nil {
			return nil, err
		}
		opts.Script = s
	}
	c := &Clusters{opts: opts}
	out, err := c.run(ctx, "info")
	if err != nil {
		return nil, err
	}
	if c.Info, err = parseInfo(out); err != nil {
		return nil, err
	}
	return c, nil
}

// Up starts both clusters (fetching Cassandra on first use) and returns when
// both answer a CQL handshake. Nodes already running are reused.
func Up(ctx context.Context, opts Options) (*Clusters, error) {
	c, err := New(ctx, opts)
	if err != nil {
		return nil, err
	}
	if _, err := c.run(ctx, "up", "all"); err != nil {
		return nil, err
	}
	return c, nil
}

// Down stops both clusters and deletes their data. Safe to call twice.
func (c *Clusters) Down(ctx context.Context) error {
	_, err := c.run(ctx, "down", "all")
	return err
}

// Stop stops one node and keeps its data, as a crash-free outage would.
func (c *Clusters) Stop(ctx context.Context, n Node) error {
	_, err := c.run(ctx, "stop", string(n))
	return err
}

// Start starts one node again on its kept data and waits for CQL.
func (c *Clusters) Start(ctx context.Context, n Node) error {
	_, err := c.run(ctx, "start", string(n))
	return err
}

// Recreate wipes node n and starts it afresh with env added to the options
// environment (e.g. "ORIGIN_AUTH=1"), then re-reads the connection info.
// The node keeps those settings until it is recreated or taken down.
func (c *Clusters) Recreate(ctx context.Context, n Node, env ...string) error {
	if _, err := c.run(ctx, "down", string(n)); err != nil {
		return err
	}
	saved := c.opts.Env
	c.opts.Env = append(append([]string(nil), saved...), env...)
	_, err := c.run(ctx, "up", string(n))
	c.opts.Env = saved
	if err != nil {
		return err
	}
	out, err := c.run(ctx, "info")
	if err != nil {
		return err
	}
	info, err := parseInfo(out)
	if err != nil {
		return err
	}
	c.Info = info
	return nil
}

// Running reports whether node n's JVM runs and answers CQL.
func (c *Clusters) Running(ctx context.Context, n Node) (bool, error) {
	out, err := c.run(ctx, "status")
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == string(n) {
			return strings.Contains(line, "cql=up"), nil
		}
	}
	return false, fmt.Errorf("status has no line for %s", n)
}

// RepoRoot is the directory holding scripts/cassandra.sh.
func (c *Clusters) RepoRoot() string { return filepath.Dir(filepath.Dir(c.opts.Script)) }

func (c *Clusters) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.opts.Script, args...)
	cmd.Env = append(os.Environ(), c.opts.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	if c.opts.Progress != nil {
		cmd.Stderr = io.MultiWriter(&stderr, c.opts.Progress)
	} else {
		cmd.Stderr = &stderr
	}
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("cassandra.sh %s: %w\n%s", strings.Join(args, " "), err, tail(stderr.String(), 80))
	}
	return stdout.String(), nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// FindScript walks up from the working directory to the first directory with
// scripts/cassandra.sh and go.mod.
func FindScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find scripts/cassandra.sh: %w", err)
	}
	for {
		s := filepath.Join(dir, "scripts", "cassandra.sh")
		if _, err := os.Stat(s); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return s, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("scripts/cassandra.sh not found above the working directory")
		}
		dir = parent
	}
}

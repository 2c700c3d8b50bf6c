// Package logs is `zdmctl logs collect`: the zdm-proxy journal of every
// proxy into one local tar.gz, a file per host.
package logs

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/zdm/zdmcmd"
	"github.com/zdmctl/zdmctl/deploy/output"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
)

// Options of `logs collect`.
type Options struct {
	F     *cmdutil.Factory
	Since time.Duration
	Out   string
	Now   func() time.Time
}

// NewCmdLogs builds `zdmctl logs`.
func NewCmdLogs(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{Use: "logs <command>", Short: "Collect the proxies' logs"})
	opts := &Options{F: f, Now: time.Now}
	collect := &cobra.Command{
		Use:   "collect",
		Short: "Collect journalctl -u zdm-proxy of every proxy into one tar.gz",
		Long: `Collect journalctl -u zdm-proxy of every proxy into one tar.gz, a
<host>.log per host (<host>.error when its log could not be read), and
print the archive's path. -o json writes the document every command
writes: ok, exit_code, error, and under data the archive, hosts and
missing (hosts with an .error file instead of a log).`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	collect.Flags().DurationVar(&opts.Since, "since", time.Hour, "how far back")
	collect.Flags().StringVar(&opts.Out, "out", "", "archive path (default zdm-logs-<time>.tar.gz)")
	cmd.AddCommand(collect)
	return cmd
}

// Run collects.
func Run(opts *Options) error {
	f := opts.F
	env, err := zdmcmd.Load(f, nil)
	if err != nil {
		return err
	}
	defer env.Close()
	if opts.Since <= 0 {
		return cmdutil.UsageError(fmt.Errorf("--since must be positive"))
	}
	out := opts.Out
	if out == "" {
		out = "zdm-logs-" + opts.Now().UTC().Format("20060102T150405Z") + ".tar.gz"
	}
	var hosts []*inventory.Host
	for _, name := range env.Targets {
		hosts = append(hosts, env.Host(name))
	}
	type got struct {
		data []byte
		err  error
	}
	results := make([]got, len(hosts))
	ctx, _, stop := f.Contexts()
	defer stop()
	cmd := fmt.Sprintf("journalctl -u zdm-proxy --no-pager -o short-iso --since=-%ds", int(opts.Since.Seconds()))
	var mu sync.Mutex
	env.Each(ctx, hosts, func(i int, h *inventory.Host, conn transport.Conn, err error) {
		if err == nil {
			var res transport.ExecResult
			res, err = conn.Exec(ctx, cmd, transport.ExecOptions{Become: true})
			if err == nil && res.ExitCode != 0 {
				err = fmt.Errorf("journalctl exit %d: %s", res.ExitCode, strings.TrimSpace(string(res.Stderr)))
			}
			mu.Lock()
			results[i] = got{data: res.Stdout, err: err}
			mu.Unlock()
			return
		}
		mu.Lock()
		results[i] = got{err: err}
		mu.Unlock()
	})
	file, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: fmt.Errorf("create %s: %w", out, err)}
	}
	gz := gzip.NewWriter(file)
	tw := tar.NewWriter(gz)
	failed := 0
	for i, h := range hosts {
		r := results[i]
		name, data := h.Name+".log", r.data
		if r.err != nil {
			failed++
			name, data = h.Name+".error", []byte(r.err.Error()+"\n")
			fmt.Fprintf(f.IO.ErrOut, "%s: %v\n", h.Name, r.err)
		}
		hdr := &tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), ModTime: opts.Now()}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("write %s: %w", out, err)
		}
		if _, err := tw.Write(data); err != nil {
			return fmt.Errorf("write %s: %w", out, err)
		}
	}
	for _, c := range []interface{ Close() error }{tw, gz, file} {
		if err := c.Close(); err != nil {
			return fmt.Errorf("write %s: %w", out, err)
		}
	}
	var fail error
	if failed > 0 {
		fail = fmt.Errorf("logs of %d/%d hosts missing (see the .error files in %s)", failed, len(hosts), out)
	}
	if f.Settings.JSON() {
		doc := output.Document{OK: fail == nil, Data: Collected{Archive: out, Hosts: len(hosts), Missing: failed}}
		if fail != nil {
			doc.ExitCode, doc.Error = cmdutil.ExitFailed, fail.Error()
		}
		if err := output.WriteJSON(f.IO.Out, doc); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(f.IO.Out, out)
	}
	if fail != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailed, Err: fail, Reported: f.Settings.JSON()}
	}
	return nil
}

// Collected is the data of `logs collect -o json`: the archive written,
// how many hosts it covers and how many of them only have an .error file.
type Collected struct {
	Archive string `json:"archive"`
	Hosts   int    `json:"hosts"`
	Missing int    `json:"missing"`
}

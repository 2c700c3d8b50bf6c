package cmdutil

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
)

// Inventory is what commands use of a loaded inventory;
// *inventory.Inventory implements it.
type Inventory interface {
	runner.Inventory
	Redact(vars map[string]any) map[string]any
	Host(name string) *inventory.Host
	Group(name string) *inventory.Group
}

// Factory holds a command's dependencies; tests replace the funcs.
type Factory struct {
	IO *IOStreams
	// Settings are resolved (flag > env > config file > default) before
	// any command runs.
	Settings *Settings
	// LoadInventory reads an inventory file.
	LoadInventory func(path string) (Inventory, error)
	// ParseSet parses --set key=value pairs.
	ParseSet func(pairs []string) (map[string]any, error)
	// Dial opens host connections.
	Dial func(opts transport.DialOptions) runner.DialFunc
	// Contexts returns the run context (cancelled by the first Ctrl-C:
	// no new work starts) and the task context (cancelled by the second:
	// running tasks are aborted), and a stop func releasing the signals.
	Contexts func() (run, task context.Context, stop func())
}

// New returns the production Factory.
func New(io *IOStreams) *Factory {
	f := &Factory{
		IO:       io,
		Settings: &Settings{},
		ParseSet: inventory.ParseSet,
		Dial:     runner.DialWith,
		Contexts: signalContexts,
	}
	f.LoadInventory = func(path string) (Inventory, error) {
		inv, err := inventory.Load(path)
		if err != nil {
			return nil, err
		}
		f.Settings.SSHDefaults(inv.KnownHosts, inv.SSHConfig)
		return inv, nil
	}
	return f
}

func signalContexts() (context.Context, context.Context, func()) {
	runCtx, cancelRun := context.WithCancel(context.Background())
	taskCtx, cancelTask := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 3)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-ch:
				n++
				switch n {
				case 1:
					cancelRun()
				case 2:
					cancelTask()
				default:
					os.Exit(ExitInterrupted)
				}
			case <-done:
				return
			}
		}
	}()
	return runCtx, taskCtx, func() {
		signal.Stop(ch)
		close(done)
		cancelRun()
		cancelTask()
	}
}

// NoSignals returns contexts that are never cancelled (tests).
func NoSignals() (context.Context, context.Context, func()) {
	return context.Background(), context.Background(), func() {}
}

// Vars parses the --set pairs (nil when there are none).
func (f *Factory) Vars() (map[string]any, error) {
	if len(f.Settings.Set) == 0 {
		return nil, nil
	}
	return f.ParseSet(f.Settings.Set)
}

// DialOptions are the transport options from the settings.
func (f *Factory) DialOptions() transport.DialOptions {
	return transport.DialOptions{
		KnownHostsFile:    f.Settings.KnownHosts,
		SSHConfigFile:     f.Settings.SSHConfig,
		Timeout:           f.Settings.ConnectTimeout,
		AcceptNewHostKeys: f.Settings.AcceptNewHostKeys,
		PasswordEnv:       "ZDMCTL_SSH_PASSWORD",
	}
}

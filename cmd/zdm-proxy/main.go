// Command zdm-proxy is the CQL proxy: zdm-proxy --config FILE (optional) with
// ZDM_* environment overrides.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/zdmctl/zdmctl/internal/version"
	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/logging"
	"github.com/zdmctl/zdmctl/proxy/memreturn"
	"github.com/zdmctl/zdmctl/proxy/procs"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) > 0 && args[0] == "journal" {
		return runJournal(args[1:], os.Stdout, os.Stderr)
	}
	fs := flag.NewFlagSet("zdm-proxy", flag.ContinueOnError)
	cfgPath := fs.String("config", "", "YAML config file (optional; ZDM_* environment variables override it)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	listKeys := fs.Bool("list-config-keys", false, "print every configuration key (YAML name, env var, default, allowed values) and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *showVersion {
		fmt.Println("zdm-proxy", version.Version)
		return 0
	}
	if *listKeys {
		for _, k := range config.Keys() {
			fmt.Printf("%s\t%s\tdefault=%q\tallowed: %s\n", k.Name, k.Env, k.Default, k.Allowed)
		}
		return 0
	}
	cfg, warnings, raw, err := config.LoadRaw(*cfgPath, os.Environ())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if os.Getenv("GOGC") == "" {
		// The live heap is small and per-request garbage is short-lived:
		// collect less often to save CPU on the data path.
		debug.SetGCPercent(400)
	}
	logger, level, err := logging.New(os.Stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		fmt.Fprintln(os.Stderr, "config:", err)
		return 1
	}
	slog.SetDefault(logger)
	for _, w := range warnings {
		logger.Warn(w)
	}
	logger.Info("starting zdm-proxy", "version", version.Version, "config", cfg)
	// One runtime processor while that suffices, more as CPU use grows
	// (proxy/procs); an explicit GOMAXPROCS turns this off.
	procsCtx, stopProcs := context.WithCancel(context.Background())
	defer stopProcs()
	maxProcs := runtime.GOMAXPROCS(0)
	adaptive := procs.Start(procsCtx, logger)
	logger.Debug("runtime processors", "adaptive", adaptive, "max", maxProcs)
	// Memory held after a burst goes back to the OS (proxy/memreturn).
	memreturn.Start(procsCtx, logger)

	// SIGHUP is caught before anything listens: one sent as soon as the
	// admin API answers (a reload right after a start) must reload, not
	// kill the process with the signal's default action; it waits in the
	// channel until the loop below. SIGTERM and SIGINT keep their default
	// until the start is done, so they still stop a start that waits on
	// its clusters at once.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP)
	d, err := start(cfg, raw, *cfgPath, os.Environ(), logger, level)
	if err != nil {
		logger.Error("cannot start", "err", err.Error())
		return 1
	}
	defer d.close()
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)

	for stop := false; !stop; {
		select {
		case err := <-d.errc:
			if err != nil && !errors.Is(err, proxy.ErrServerClosed) {
				logger.Error("proxy stopped", "err", err.Error())
				return 1
			}
			return 0
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				logger.Info("SIGHUP: reloading the config", "file", *cfgPath)
				_ = d.reload() // logged; the old config stays on error
				continue
			}
			logger.Info("shutting down: draining in-flight requests", "signal", sig.String(), "timeout_ms", cfg.ShutdownTimeoutMs)
			stop = true
		}
	}
	go func() {
		sig := <-sigs
		for sig == syscall.SIGHUP {
			sig = <-sigs
		}
		logger.Warn("second signal: exiting without waiting for in-flight requests", "signal", sig.String())
		os.Exit(1)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.ShutdownTimeoutMs)*time.Millisecond)
	defer cancel()
	// Readiness turns 503 during the drain; liveness answers until it ends.
	if err := d.shutdown(ctx); err != nil {
		logger.Warn("shutdown deadline reached with requests still in flight", "err", err.Error())
	}
	logger.Info("zdm-proxy stopped")
	return 0
}

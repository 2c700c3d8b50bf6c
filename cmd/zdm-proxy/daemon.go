package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/zdmctl/zdmctl/internal/version"
	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/admin"
	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/journal"
	"github.com/zdmctl/zdmctl/proxy/logging"
)

// daemon holds what the admin endpoints report and what a reload changes.
type daemon struct {
	path    string   // config file ("" when running from the environment only)
	environ []string // os.Environ() at start: overrides re-applied on reload
	log     *slog.Logger
	level   *slog.LevelVar
	srv     *proxy.Server
	obs     *proxy.Observer
	journal *journal.Set // journal_dir (nil: none); journal.go
	start   time.Time

	mu       sync.Mutex
	cfg      *config.Config // effective: started with, plus applied mutable keys
	sha      string
	pending  []string // immutable keys changed on disk since start
	reloads  int
	fromFile bool
}

// configSHA256 is the hex SHA-256 of the raw bytes of the config file; with
// no file (environment only), of the canonical rendering of the effective
// config (config.Config.Canonical).
func configSHA256(cfg *config.Config, raw []byte, fromFile bool) string {
	if !fromFile {
		raw = cfg.Canonical()
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// reload re-reads the config file and environment. An invalid config is
// rejected as a whole; changed mutable keys take effect now (no connection
// is closed); changed immutable keys are reported as restart pending.
func (d *daemon) reload() error {
	next, warnings, raw, err := config.LoadRaw(d.path, d.environ)
	if err != nil {
		d.log.Error("config reload rejected; keeping the running config", "err", err.Error())
		return fmt.Errorf("reload: %w", err)
	}
	for _, w := range warnings {
		d.log.Warn(w)
	}
	if next.WriteMode == config.WriteModeDualAsyncOnSecondary && d.journal == nil {
		err := fmt.Errorf("write_mode %s needs the journal_dir opened at start (restart with a writable journal_dir)", next.WriteMode)
		d.log.Error("config reload rejected; keeping the running config", "err", err.Error())
		return fmt.Errorf("reload: %w", err)
	}
	lvl, err := logging.ParseLevel(next.LogLevel)
	if err != nil {
		d.log.Error("config reload rejected; keeping the running config", "err", err.Error())
		return fmt.Errorf("reload: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	// Compare against what the proxy started with for immutable keys.
	mutable, immutable := config.ChangedKeys(d.cfg, next)
	eff := *d.cfg
	eff.ReadMode, eff.PrimaryCluster, eff.LogLevel = next.ReadMode, next.PrimaryCluster, next.LogLevel
	eff.RequestTimeoutMs, eff.HeartbeatMs, eff.MaxClientConns = next.RequestTimeoutMs, next.HeartbeatMs, next.MaxClientConns
	eff.CompareSampleRate, eff.LogMismatchValues = next.CompareSampleRate, next.LogMismatchValues
	eff.WriteMode, eff.TargetConsistencyLevel = next.WriteMode, next.TargetConsistencyLevel
	d.srv.SetSettings(proxy.SettingsFromConfig(&eff))
	d.level.Set(lvl)
	d.obs.SetCompare(eff.CompareSampleRate, eff.LogMismatchValues)
	d.srv.SetLogMismatchValues(eff.LogMismatchValues)
	d.cfg = &eff
	d.pending = immutable
	d.sha = configSHA256(next, raw, d.fromFile)
	d.reloads++
	d.log.Info("config reloaded", "applied", mutable, "config_sha256", d.sha,
		"read_mode", eff.ReadMode, "write_mode", eff.WriteMode, "primary_cluster", eff.PrimaryCluster, "log_level", eff.LogLevel)
	if len(immutable) > 0 {
		d.log.Warn("config changes need a restart and were not applied", "keys", immutable)
	}
	return nil
}

// status is the /api/v1/status document.
func (d *daemon) status() admin.Status {
	d.mu.Lock()
	cfg, sha, pending := d.cfg, d.sha, append([]string(nil), d.pending...)
	d.mu.Unlock()
	vals := cfg.Values()
	m := make(map[string]any, len(vals))
	for k, v := range vals {
		m[k] = v
	}
	st := d.srv.Stats()
	cs := d.srv.ClusterStatus()
	rd := admin.Evaluate(cs)
	return admin.Status{
		Version:              version.Version,
		Build:                admin.CurrentBuild(),
		StartTime:            d.start,
		Config:               admin.Redact(m),
		ConfigSHA256:         sha,
		ReadMode:             cfg.ReadMode,
		PrimaryCluster:       cfg.PrimaryCluster,
		ClientConnections:    st.ClientConnections,
		InflightRequests:     st.InFlightRequests,
		Clusters:             cs,
		RestartPending:       len(pending) > 0,
		ChangedImmutableKeys: pending,
		WriteMode:            cfg.WriteMode,
		Journal:              d.journalStatus(),
		Degraded:             rd.Degraded,
		DegradedReason:       degradedReason(rd),
	}
}

// degradedReason is the readiness reason of a degraded proxy (an optional
// cluster down: the secondary of DUAL_ASYNC_ON_SECONDARY), else "".
func degradedReason(r admin.Readiness) string {
	if !r.Degraded {
		return ""
	}
	return r.Reason
}

package main

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/zdmctl/zdmctl/proxy"
	"github.com/zdmctl/zdmctl/proxy/admin"
	"github.com/zdmctl/zdmctl/proxy/config"
	"github.com/zdmctl/zdmctl/proxy/journal"
	"github.com/zdmctl/zdmctl/proxy/metrics"
)

// openJournal opens journal_dir when set. DUAL_ASYNC_ON_SECONDARY cannot run
// without it (the error says so); in DUAL_SYNC an unusable journal_dir is
// only a warning, and a reload to DUAL_ASYNC_ON_SECONDARY is then refused.
func openJournal(cfg *config.Config, logger *slog.Logger) (*journal.Set, error) {
	async := cfg.WriteMode == config.WriteModeDualAsyncOnSecondary
	if cfg.JournalDir == "" {
		return nil, nil
	}
	set, err := journal.OpenSet(cfg.JournalDir, journal.Options{MaxBytes: int64(cfg.JournalMaxBytes), Logger: logger})
	if err != nil {
		if async {
			return nil, fmt.Errorf("write_mode %s needs a writable journal_dir (env ZDM_JOURNAL_DIR): %w", cfg.WriteMode, err)
		}
		logger.Warn("journal_dir unusable; write_mode DUAL_ASYNC_ON_SECONDARY will be refused until a restart", "err", err.Error())
		return nil, nil
	}
	st := set.Stats()
	logger.Info("journal of missed writes open", "dir", cfg.JournalDir, "pending", st.Pending,
		"needs_repair", st.NeedsRepair, "bytes", st.Bytes, "journal_max_bytes", cfg.JournalMaxBytes)
	if st.CorruptSegments > 0 {
		logger.Error("journal has corrupt segments; their good records are kept", "corrupt_segments", st.CorruptSegments)
	}
	return set, nil
}

func closeJournal(set *journal.Set, logger *slog.Logger) {
	if set == nil {
		return
	}
	if err := set.Close(); err != nil {
		logger.Error("closing the journal", "err", err.Error())
	}
}

func journalValues(set *journal.Set) func() metrics.JournalValues {
	return func() metrics.JournalValues {
		if set == nil {
			return metrics.JournalValues{}
		}
		s := set.Stats()
		return metrics.JournalValues{Pending: s.Pending, NeedsRepair: s.NeedsRepair, Bytes: s.Bytes,
			Dropped: s.Dropped, CorruptSegments: s.CorruptSegments}
	}
}

// secondaryFailureHook counts missed secondary writes; it logs at most a
// line per 10 s (the journal and the metric carry the detail).
func secondaryFailureHook(m *metrics.Metrics, logger *slog.Logger) func(c proxy.Cluster, ks, table, reason string) {
	lim := newLogLimiter()
	return func(c proxy.Cluster, ks, table, reason string) {
		if m != nil {
			m.SecondaryWriteFailure(metrics.Cluster(c), ks, table, reason)
		}
		if n, ok := lim.allow(); ok {
			logger.Warn("secondary writes missed; journaled for zdmctl reconcile", "cluster", c.String(),
				"keyspace", ks, "table", table, "reason", reason, "missed_since_last_log", n)
		}
	}
}

func (d *daemon) journalStatus() *admin.JournalStatus {
	if d.journal == nil {
		return nil
	}
	s := d.journal.Stats()
	return &admin.JournalStatus{Dir: d.journal.Dir, Pending: s.Pending, NeedsRepair: s.NeedsRepair,
		Bytes: s.Bytes, Dropped: s.Dropped, CorruptSegments: s.CorruptSegments}
}

var errNoJournalDir = errors.New("journal_dir is not set in the config")

package config

import (
	"errors"
	"fmt"
	"strings"
)

// Write modes.
const (
	// WriteModeDualSync answers the client once both clusters answered; a
	// failure on either is the client's error.
	WriteModeDualSync = "DUAL_SYNC"
	// WriteModeDualAsyncOnSecondary answers the client with the primary's
	// answer; the secondary's write goes on in the background, and a write
	// it misses is journaled (journal_dir) for zdm-proxy journal replay.
	WriteModeDualAsyncOnSecondary = "DUAL_ASYNC_ON_SECONDARY"
)

// Writes are the write-path keys: write_mode, the journal of missed writes
// and the consistency of writes sent to Target. Embedded in Config.
type Writes struct {
	WriteMode string
	// JournalDir holds the journal of writes the secondary missed; required
	// by DUAL_ASYNC_ON_SECONDARY.
	JournalDir      string
	JournalMaxBytes int
	// SecondaryMaxInFlight and SecondaryMaxBytes bound the background
	// writes to the secondary in DUAL_ASYNC_ON_SECONDARY; a write beyond
	// them is journaled instead of sent.
	SecondaryMaxInFlight int
	SecondaryMaxBytes    int
	// TargetConsistencyLevel is the consistency of writes sent to Target;
	// empty keeps the client's.
	TargetConsistencyLevel string
}

// Consistency levels by name, with their protocol codes.
var consistencyCodes = map[string]uint16{
	"ANY": 0x0000, "ONE": 0x0001, "TWO": 0x0002, "THREE": 0x0003, "QUORUM": 0x0004, "ALL": 0x0005,
	"LOCAL_QUORUM": 0x0006, "EACH_QUORUM": 0x0007, "LOCAL_ONE": 0x000A,
}

const consistencyNames = "ANY, ONE, TWO, THREE, QUORUM, ALL, LOCAL_QUORUM, EACH_QUORUM, LOCAL_ONE (empty: the client's own)"

// ConsistencyCode returns the protocol code of a consistency level name
// (ok false for an unknown name or empty).
func ConsistencyCode(name string) (uint16, bool) {
	c, ok := consistencyCodes[strings.ToUpper(strings.TrimSpace(name))]
	return c, ok
}

func consistencyKey(name string, f func(*Config) *string) key {
	return key{name: name, allowed: consistencyNames,
		set: func(c *Config, v string) error {
			v = strings.ToUpper(strings.TrimSpace(v))
			if _, ok := consistencyCodes[v]; !ok && v != "" {
				return fmt.Errorf("allowed: %s", consistencyNames)
			}
			*f(c) = v
			return nil
		},
		get: func(c *Config) string { return *f(c) }}
}

// writeKeys are appended to knownKeys (keys.go).
var writeKeys = []key{
	enumKey("write_mode", WriteModeDualSync, func(c *Config) *string { return &c.WriteMode }, WriteModeDualSync, WriteModeDualAsyncOnSecondary),
	pathKey("journal_dir", func(c *Config) *string { return &c.JournalDir }),
	intKey("journal_max_bytes", "1073741824", 1<<20, 1<<50, func(c *Config) *int { return &c.JournalMaxBytes }),
	intKey("secondary_write_max_in_flight", "4096", 1, 1_000_000, func(c *Config) *int { return &c.SecondaryMaxInFlight }),
	intKey("secondary_write_max_bytes", "67108864", 1<<16, 1<<40, func(c *Config) *int { return &c.SecondaryMaxBytes }),
	consistencyKey("target_consistency_level", func(c *Config) *string { return &c.TargetConsistencyLevel }),
}

// validateWrites checks the write-path keys together.
func (c *Config) validateWrites() error {
	if c.WriteMode == WriteModeDualAsyncOnSecondary && strings.TrimSpace(c.JournalDir) == "" {
		return errors.New("config: write_mode DUAL_ASYNC_ON_SECONDARY needs journal_dir (env ZDM_JOURNAL_DIR): a writable directory where the proxy keeps the writes the secondary missed")
	}
	return nil
}

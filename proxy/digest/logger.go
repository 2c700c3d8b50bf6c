package digest

import (
	"encoding/hex"
	"log/slog"
	"sync"
	"time"
)

// Mismatch is one differing read, for MismatchLogger.
type Mismatch struct {
	Result
	Statement string   // CQL text (for EXECUTE: the prepared statement's)
	Values    [][]byte // bound values, logged only with log_mismatch_values
}

// MismatchLogger logs mismatches at warn level, at most perMinute per
// minute; the count of suppressed ones is logged with the next one.
type MismatchLogger struct {
	log        *slog.Logger
	perMinute  int
	withValues bool
	// Now is the clock (time.Now); replaceable in tests.
	Now func() time.Time

	mu          sync.Mutex
	windowStart time.Time
	inWindow    int
	suppressed  int
}

// NewMismatchLogger returns a logger; withValues is log_mismatch_values.
func NewMismatchLogger(l *slog.Logger, perMinute int, withValues bool) *MismatchLogger {
	if l == nil {
		l = slog.Default()
	}
	return &MismatchLogger{log: l, perMinute: perMinute, withValues: withValues, Now: time.Now}
}

// maxValueBytes caps each logged bound value.
const maxValueBytes = 64

// Log logs m unless the rate limit is reached; it reports whether it did.
func (ml *MismatchLogger) Log(m Mismatch) bool {
	ml.mu.Lock()
	now := ml.Now()
	if now.Sub(ml.windowStart) >= time.Minute || now.Before(ml.windowStart) {
		ml.windowStart, ml.inWindow = now, 0
	}
	if ml.inWindow >= ml.perMinute {
		ml.suppressed++
		ml.mu.Unlock()
		return false
	}
	ml.inWindow++
	suppressed := ml.suppressed
	ml.suppressed = 0
	ml.mu.Unlock()

	attrs := []any{
		"keyspace", m.Keyspace, "table", m.Table, "statement", m.Statement,
		"primary_rows", m.Primary.Rows, "secondary_rows", m.Secondary.Rows,
		"primary_columns", m.Primary.Columns, "secondary_columns", m.Secondary.Columns,
	}
	if ml.withValues && m.Values != nil {
		vals := make([]string, len(m.Values))
		for i, v := range m.Values {
			switch {
			case v == nil:
				vals[i] = "null"
			case len(v) > maxValueBytes:
				vals[i] = "0x" + hex.EncodeToString(v[:maxValueBytes]) + "..."
			default:
				vals[i] = "0x" + hex.EncodeToString(v)
			}
		}
		attrs = append(attrs, "values", vals)
	}
	if suppressed > 0 {
		attrs = append(attrs, "suppressed_since_last", suppressed)
	}
	ml.log.Warn("async read mismatch", attrs...)
	return true
}

// Package logging builds the proxy's slog logger from the log_level and
// log_format config keys, with a level that can be changed while running
// and a ReplaceAttr that blanks secrets.
//
// Wiring:
//
//	logger, level, err := logging.New(os.Stderr, cfg.LogLevel, cfg.LogFormat)
//	slog.SetDefault(logger)
//	// on config reload: lvl, err := logging.ParseLevel(newCfg.LogLevel); level.Set(lvl)
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Redacted replaces the value of a secret attribute.
const Redacted = "REDACTED"

// ParseLevel reads a log level, case-insensitive: debug, info, warn or
// warning, error; also logrus-style trace (debug) and fatal/panic (error),
// which ZDM Proxy configs may carry. Empty means info.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug", "trace":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error", "fatal", "panic":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log_level %q: want debug, info, warn or error", s)
}

// New returns a logger writing to w in format "text" (or empty) or "json",
// at the given level, with secret attributes redacted. The returned LevelVar
// changes the level of the logger (and of every logger derived from it)
// while it runs.
func New(w io.Writer, level, format string) (*slog.Logger, *slog.LevelVar, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return nil, nil, err
	}
	lv := new(slog.LevelVar)
	lv.Set(lvl)
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: RedactAttr}
	var h slog.Handler
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "", "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, nil, fmt.Errorf("log_format %q: want text or json", format)
	}
	return slog.New(h), lv, nil
}

// IsSecretKey reports whether a key names a secret: it ends, in any case,
// in "password", "secret" or "token" (origin_password, client_secret,
// AuthToken...).
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	return strings.HasSuffix(k, "password") || strings.HasSuffix(k, "secret") ||
		strings.HasSuffix(k, "token")
}

// RedactAttr is a slog ReplaceAttr blanking the value of secret attributes
// (see IsSecretKey), including those inside groups. Empty values stay empty
// so a log still shows that no secret was set.
func RedactAttr(_ []string, a slog.Attr) slog.Attr {
	if !IsSecretKey(a.Key) {
		return a
	}
	if a.Value.Kind() == slog.KindString && a.Value.String() == "" {
		return a
	}
	return slog.String(a.Key, Redacted)
}

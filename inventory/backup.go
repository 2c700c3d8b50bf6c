package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// KeepBackups is how many backups of an inventory file SetVars keeps.
const KeepBackups = 10

// backupSuffix precedes a backup's UTC timestamp: inv.yaml.bak.<time>.
const backupSuffix = ".bak."

// backupTime is sortable as text and unique per nanosecond.
const backupTime = "20060102T150405.000000000Z"

// Backups lists the backups of the inventory at path, oldest first.
func Backups(path string) ([]string, error) {
	matches, err := filepath.Glob(globQuote(path) + backupSuffix + "*")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		if _, err := time.Parse(backupTime, strings.TrimPrefix(m, path+backupSuffix)); err == nil {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out, nil
}

// backup writes data as a new timestamped backup of path, never over an
// earlier one, then removes all but the newest KeepBackups.
func backup(path string, data []byte, mode os.FileMode, now time.Time) (string, error) {
	name := path + backupSuffix + now.UTC().Format(backupTime)
	for i := 0; ; i++ {
		if _, err := os.Lstat(name); os.IsNotExist(err) {
			break
		}
		now = now.Add(time.Nanosecond)
		name = path + backupSuffix + now.UTC().Format(backupTime)
		if i > 1000 {
			return "", fmt.Errorf("no free backup name for %s", path)
		}
	}
	if err := writeAtomic(name, data, mode); err != nil {
		return "", err
	}
	all, err := Backups(path)
	if err != nil {
		return name, err
	}
	for len(all) > KeepBackups {
		if err := os.Remove(all[0]); err != nil {
			return name, err
		}
		all = all[1:]
	}
	return name, nil
}

func globQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteRune('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

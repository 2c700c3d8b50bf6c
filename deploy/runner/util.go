package runner

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/zdmctl/zdmctl/playbooks"
)

func formatFloat(f float64) string {
	return strconv.FormatFloat(math.Round(f*1000)/1000, 'f', -1, 64)
}

// Batches splits hosts by serial steps; the last step repeats. Percentages
// are of len(hosts), rounded down, at least 1.
func Batches(hosts []string, serial []playbooks.SerialStep) [][]string {
	if len(hosts) == 0 {
		return nil
	}
	if len(serial) == 0 {
		return [][]string{hosts}
	}
	var out [][]string
	for i, step := 0, 0; i < len(hosts); step++ {
		s := serial[min(step, len(serial)-1)]
		n := s.N
		if s.Percent {
			n = len(hosts) * s.N / 100
		}
		n = max(n, 1)
		end := min(i+n, len(hosts))
		out = append(out, hosts[i:end])
		i = end
	}
	return out
}

func serialString(s []playbooks.SerialStep) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = x.String()
	}
	return strings.Join(parts, ",")
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) * 100 / float64(of)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// readOnce wraps read so that each path is read once per run: every host
// gets the same bytes (a 25 MB binary is held once, not once per host, and
// its checksum is computed once). Callers must not modify the result.
func readOnce(read func(string) ([]byte, error)) func(string) ([]byte, error) {
	type entry struct {
		once sync.Once
		data []byte
		err  error
	}
	var files sync.Map // path -> *entry
	return func(path string) ([]byte, error) {
		v, _ := files.LoadOrStore(path, &entry{})
		e := v.(*entry)
		e.once.Do(func() { e.data, e.err = read(path) })
		return e.data, e.err
	}
}

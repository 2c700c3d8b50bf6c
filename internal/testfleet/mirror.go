package testfleet

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// aptSources are the files apt reads its sources from.
func aptSources(root string) []string {
	files := []string{filepath.Join(root, "etc/apt/sources.list")}
	for _, pat := range []string{"*.list", "*.sources"} {
		m, _ := filepath.Glob(filepath.Join(root, "etc/apt/sources.list.d", pat))
		slices.Sort(m)
		files = append(files, m...)
	}
	return files
}

// DebianMirror returns the Debian mirror apt on this machine uses for
// bookworm: the first `deb` source (one-line or deb822 format) whose suite is
// exactly "bookworm".
func DebianMirror() (string, error) { return debianMirrorUnder("/") }

func debianMirrorUnder(root string) (string, error) {
	for _, f := range aptSources(root) {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var uri string
		if strings.HasSuffix(f, ".sources") {
			uri = mirrorFromDeb822(string(data))
		} else {
			uri = mirrorFromOneLine(string(data))
		}
		if uri != "" {
			return strings.TrimSuffix(uri, "/"), nil
		}
	}
	return "", fmt.Errorf("no apt source for Debian bookworm in %s/etc/apt: set the mirror explicitly", strings.TrimSuffix(root, "/"))
}

// mirrorFromOneLine reads "deb [opts] URI SUITE COMPONENTS..." lines.
func mirrorFromOneLine(data string) string {
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		if strings.HasPrefix(f[0], "[") { // options, possibly spanning fields
			for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
				f = f[1:]
			}
			if len(f) > 0 {
				f = f[1:]
			}
		}
		if len(f) >= 2 && f[1] == "bookworm" {
			return f[0]
		}
	}
	return ""
}

// mirrorFromDeb822 reads stanzas of "Types: / URIs: / Suites:" fields.
func mirrorFromDeb822(data string) string {
	for _, stanza := range strings.Split(data, "\n\n") {
		fields := map[string]string{}
		var last string
		for _, line := range strings.Split(stanza, "\n") {
			if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
				continue
			}
			if (line[0] == ' ' || line[0] == '\t') && last != "" {
				fields[last] += " " + strings.TrimSpace(line)
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			last = strings.ToLower(strings.TrimSpace(k))
			fields[last] = strings.TrimSpace(v)
		}
		if en := strings.ToLower(fields["enabled"]); en == "no" || en == "false" {
			continue
		}
		if !slices.Contains(strings.Fields(fields["types"]), "deb") ||
			!slices.Contains(strings.Fields(fields["suites"]), "bookworm") {
			continue
		}
		if uris := strings.Fields(fields["uris"]); len(uris) > 0 {
			return uris[0]
		}
	}
	return ""
}

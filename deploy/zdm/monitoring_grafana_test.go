package zdm

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const grafanaRepo = "deb [signed-by=/etc/apt/keyrings/grafana.gpg] https://apt.grafana.com stable main"

// monWith is monInv with the monitoring host's vars replaced by vars (a
// YAML flow mapping body).
func monWith(vars string) string {
	return strings.Replace(monInv, "{grafana_archive: /tmp/grafana.tar.gz, grafana_admin_password: s3cret}", "{"+vars+"}", 1)
}

// testKey is a stand-in OpenPGP public key packet (old-format tag 6) and
// its ASCII armor, as `gpg --export --armor` writes it.
func testKey(t *testing.T) (binary []byte, armored []byte) {
	t.Helper()
	binary = append([]byte{0x99, 0x00, 0x0d, 0x04}, []byte("zdmctl test key")...)
	var b strings.Builder
	b.WriteString("-----BEGIN PGP PUBLIC KEY BLOCK-----\nVersion: test\n\n")
	enc := base64.StdEncoding.EncodeToString(binary)
	for len(enc) > 10 { // short lines, as armor wraps them
		b.WriteString(enc[:10] + "\n")
		enc = enc[10:]
	}
	b.WriteString(enc + "\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n")
	return binary, []byte(b.String())
}

func planMon(t *testing.T, text string) (*MonitorHost, error) {
	t.Helper()
	inv := loadInv(t, text)
	f, err := Plan(inv, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := PlanMonitoring(inv, f, nil)
	if err != nil {
		return nil, err
	}
	return p.Hosts[0], nil
}

func TestPlanMonitoringGrafanaInstall(t *testing.T) {
	dir := t.TempDir()
	bin, armored := testKey(t)
	binPath, ascPath := filepath.Join(dir, "grafana.gpg"), filepath.Join(dir, "grafana.asc")
	if err := os.WriteFile(binPath, bin, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ascPath, armored, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		vars, install, repo string
		key                 []byte
		ini                 bool
	}{
		// existing inventories: unchanged
		"archive by default":  {"grafana_archive: /tmp/g.tar.gz", GrafanaFromArchive, "", nil, true},
		"none by default":     {"grafana_port: 3001", GrafanaNone, "", nil, false},
		"archive named":       {"grafana_archive: /tmp/g.tar.gz, grafana_install: Archive", GrafanaFromArchive, "", nil, true},
		"none named":          {"grafana_install: none", GrafanaNone, "", nil, false},
		"package, host repos": {"grafana_install: package", GrafanaFromPackage, "", nil, true},
		"package, repo only":  {"grafana_install: package, grafana_apt_repo: \"deb http://mirror.internal/grafana stable main\"", GrafanaFromPackage, "deb http://mirror.internal/grafana stable main", nil, true},
		"package, armored key": {"grafana_install: package, grafana_apt_repo: \"" + grafanaRepo + "\", grafana_apt_key: " + ascPath,
			GrafanaFromPackage, grafanaRepo, bin, true},
		"package, binary key": {"grafana_install: package, grafana_apt_repo: \"" + grafanaRepo + "\", grafana_apt_key: " + binPath,
			GrafanaFromPackage, grafanaRepo, bin, true},
	} {
		t.Run(name, func(t *testing.T) {
			mh, err := planMon(t, monWith(tc.vars))
			if err != nil {
				t.Fatal(err)
			}
			if mh.GrafanaInstall != tc.install || mh.GrafanaAptRepo != tc.repo || !bytes.Equal(mh.GrafanaAptKey, tc.key) {
				t.Errorf("install %q repo %q key %x; want %q %q %x", mh.GrafanaInstall, mh.GrafanaAptRepo, mh.GrafanaAptKey, tc.install, tc.repo, tc.key)
			}
			if (mh.GrafanaIni != nil) != tc.ini {
				t.Errorf("grafana.ini rendered: %v, want %v", mh.GrafanaIni != nil, tc.ini)
			}
		})
	}
}

// Bad Grafana install vars: one line naming the var at its file:line.
func TestPlanMonitoringGrafanaRejects(t *testing.T) {
	dir := t.TempDir()
	notKey := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notKey, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.gpg")
	for name, tc := range map[string]struct{ vars, want string }{
		"bad install":            {"grafana_install: docker", `mon.vars.grafana_install: "docker": allowed archive, package, none`},
		"archive without file":   {"grafana_install: archive", "mon.vars.grafana_install: archive, but grafana_archive is not set"},
		"archive and package":    {"grafana_archive: /tmp/g.tar.gz, grafana_install: package", "mon.vars.grafana_archive: set, but grafana_install is package"},
		"repo not a deb line":    {"grafana_install: package, grafana_apt_repo: \"https://apt.grafana.com stable main\"", "mon.vars.grafana_apt_repo: \"https://apt.grafana.com stable main\": not an APT source line"},
		"deb-src line":           {"grafana_install: package, grafana_apt_repo: \"deb-src https://apt.grafana.com stable main\"", "mon.vars.grafana_apt_repo:"},
		"repo without suite":     {"grafana_install: package, grafana_apt_repo: \"deb https://apt.grafana.com\"", "mon.vars.grafana_apt_repo:"},
		"repo without package":   {"grafana_apt_repo: \"" + grafanaRepo + "\"", "mon.vars.grafana_apt_repo: set, but grafana_install is none"},
		"key file missing":       {"grafana_install: package, grafana_apt_repo: \"" + grafanaRepo + "\", grafana_apt_key: " + missing, "mon.vars.grafana_apt_key: open " + missing},
		"key file not a key":     {"grafana_install: package, grafana_apt_repo: \"" + grafanaRepo + "\", grafana_apt_key: " + notKey, "mon.vars.grafana_apt_key: " + notKey + ": not an OpenPGP public key"},
		"key without repo":       {"grafana_install: package, grafana_apt_key: " + notKey, "mon.vars.grafana_apt_key: set without grafana_apt_repo"},
		"key with archive":       {"grafana_archive: /tmp/g.tar.gz, grafana_apt_key: " + notKey, "mon.vars.grafana_apt_key: set, but grafana_install is archive"},
		"same ports via package": {"grafana_install: package, grafana_port: 9091", "grafana_port and prometheus_port are both 9091"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := planMon(t, monWith(tc.vars))
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q, want one line with %q", msg, tc.want)
			}
			// the var is on the monitoring host's line of the inventory
			if strings.HasPrefix(tc.want, "mon.vars.") && !strings.Contains(msg, "inv.yaml:14: groups.monitoring.hosts."+tc.want) {
				t.Errorf("error %q does not name inv.yaml:14", msg)
			}
		})
	}
}

func TestDearmorRejectsTruncated(t *testing.T) {
	_, armored := testKey(t)
	cut := bytes.Split(armored, []byte("-----END"))[0]
	if _, err := dearmor(cut); err == nil || !strings.Contains(err.Error(), "END") {
		t.Errorf("truncated armor: %v", err)
	}
}

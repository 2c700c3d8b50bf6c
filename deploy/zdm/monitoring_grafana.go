package zdm

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// How Grafana gets onto a monitoring host (grafana_install).
const (
	// GrafanaFromArchive unpacks grafana_archive, a tarball on this machine.
	GrafanaFromArchive = "archive"
	// GrafanaFromPackage installs the host's grafana package: from
	// grafana_apt_repo when set, else from the repositories the host
	// already has (an operator's mirror).
	GrafanaFromPackage = "package"
	// GrafanaNone deploys no Grafana, only its provisioning files.
	GrafanaNone = "none"
	// GrafanaAptKeyring is where grafana_apt_key lands on the host; a
	// grafana_apt_repo line names it with [signed-by=...].
	GrafanaAptKeyring = "/etc/apt/keyrings/grafana.gpg"
)

// debLine is a one-line APT source: deb, optional [options], an URI, a
// suite and optional components.
var debLine = regexp.MustCompile(`^deb(\s+\[[^\]\n]*\])?\s+[a-z+]+:\S+\s+\S+(\s+\S+)*$`)

// planGrafanaInstall reads grafana_install, grafana_apt_repo and
// grafana_apt_key into mh (GrafanaArchive already read). The key file is
// read here so a missing one is an error naming the var and its line.
func planGrafanaInstall(mh *MonitorHost, vars map[string]any) error {
	def := GrafanaNone
	if mh.GrafanaArchive != "" {
		def = GrafanaFromArchive
	}
	mh.GrafanaInstall = strings.ToLower(strVar(vars, "grafana_install", def))
	switch mh.GrafanaInstall {
	case GrafanaFromArchive:
		if mh.GrafanaArchive == "" {
			return varErrorf("grafana_install", "%s, but grafana_archive is not set: give the Grafana tarball, or grafana_install: %s", GrafanaFromArchive, GrafanaFromPackage)
		}
	case GrafanaFromPackage, GrafanaNone:
		if mh.GrafanaArchive != "" {
			return varErrorf("grafana_archive", "set, but grafana_install is %s: set one", mh.GrafanaInstall)
		}
	default:
		return varErrorf("grafana_install", "%q: allowed %s, %s, %s", mh.GrafanaInstall, GrafanaFromArchive, GrafanaFromPackage, GrafanaNone)
	}
	mh.GrafanaAptRepo = strVar(vars, "grafana_apt_repo", "")
	key := strVar(vars, "grafana_apt_key", "")
	if mh.GrafanaInstall != GrafanaFromPackage {
		for _, kv := range [][2]string{{"grafana_apt_repo", mh.GrafanaAptRepo}, {"grafana_apt_key", key}} {
			if k, v := kv[0], kv[1]; v != "" {
				return varErrorf(k, "set, but grafana_install is %s (the repository is for grafana_install: %s)", mh.GrafanaInstall, GrafanaFromPackage)
			}
		}
		return nil
	}
	if mh.GrafanaAptRepo != "" && !debLine.MatchString(mh.GrafanaAptRepo) {
		return varErrorf("grafana_apt_repo", "%q: not an APT source line (want e.g. deb [signed-by=%s] https://apt.grafana.com stable main)", mh.GrafanaAptRepo, GrafanaAptKeyring)
	}
	if key == "" {
		return nil
	}
	if mh.GrafanaAptRepo == "" {
		return varErrorf("grafana_apt_key", "set without grafana_apt_repo: the key is for that repository")
	}
	data, err := os.ReadFile(key)
	if err != nil {
		return varErrorf("grafana_apt_key", "%w", err)
	}
	if mh.GrafanaAptKey, err = dearmor(data); err != nil {
		return varErrorf("grafana_apt_key", "%s: %w", key, err)
	}
	return nil
}

// dearmor returns an OpenPGP key as binary: apt reads a keyring named
// *.gpg as binary only. A binary key is returned as is; an ASCII-armored
// one (-----BEGIN PGP PUBLIC KEY BLOCK-----) is decoded.
func dearmor(data []byte) ([]byte, error) {
	const begin = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
	text := string(bytes.TrimSpace(data))
	if !strings.HasPrefix(text, begin) {
		if len(data) == 0 || data[0]&0x80 == 0 {
			return nil, fmt.Errorf("not an OpenPGP public key (ASCII-armored or binary)")
		}
		return data, nil
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")[1:]
	// armor headers (Version: ...) end at the first blank line
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			lines = lines[i+1:]
			break
		}
		if !strings.Contains(l, ": ") {
			break // no headers
		}
	}
	var b64 strings.Builder
	ended := false
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "-----END PGP PUBLIC KEY BLOCK-----") {
			ended = true
			break
		}
		if strings.HasPrefix(l, "=") { // CRC24 checksum line
			continue
		}
		b64.WriteString(l)
	}
	if !ended {
		return nil, fmt.Errorf("ASCII-armored key without its END line")
	}
	out, err := base64.StdEncoding.DecodeString(b64.String())
	if err != nil || len(out) == 0 || out[0]&0x80 == 0 {
		return nil, fmt.Errorf("ASCII-armored key that does not decode to an OpenPGP key")
	}
	return out, nil
}

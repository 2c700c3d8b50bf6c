package testfleet

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDebianMirror(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{
			name: "deb822 skips security and other suites",
			files: map[string]string{
				"etc/apt/sources.list.d/debian.sources": "Types: deb\n# comment\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n" +
					"Types: deb deb-src\nURIs: http://mirror.example/debian/\nSuites: bookworm bookworm-updates\nComponents: main\n",
				"etc/apt/sources.list.d/other.list": "deb https://vendor.example/apt cloud-bookworm main\n",
			},
			want: "http://mirror.example/debian",
		},
		{
			name: "one-line with options, sources.list first",
			files: map[string]string{
				"etc/apt/sources.list":                  "# deb http://old.example/debian bookworm main\ndeb-src http://src.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main contrib\n",
				"etc/apt/sources.list.d/debian.sources": "Types: deb\nURIs: http://two.example/debian\nSuites: bookworm\n",
			},
			want: "http://one.example/debian",
		},
		{
			name: "disabled deb822 stanza is skipped",
			files: map[string]string{
				"etc/apt/sources.list.d/a.sources": "Enabled: no\nTypes: deb\nURIs: http://off.example/debian\nSuites: bookworm\n\nTypes: deb\nURIs: http://on.example/debian\nSuites: bookworm\n",
			},
			want: "http://on.example/debian",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			for p, data := range c.files {
				full := filepath.Join(root, p)
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := debianMirrorUnder(root)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("mirror: got %q, want %q", got, c.want)
			}
		})
	}
}

func TestDebianMirrorMissing(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc/apt"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/apt/sources.list"), []byte("deb http://x.example/ubuntu jammy main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := debianMirrorUnder(root); err == nil {
		t.Fatalf("want an error without a bookworm source, got %q", got)
	}
}

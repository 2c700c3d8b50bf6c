package playbooks

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed builtin
var builtinFS embed.FS

// EnvDir names the environment variable that sets the override directory
// (the --playbook-dir flag wins over it).
const EnvDir = "ZDMCTL_PLAYBOOK_DIR"

func builtinRoot() fs.FS {
	sub, err := fs.Sub(builtinFS, "builtin")
	if err != nil {
		panic(err)
	}
	return sub
}

// LoadFile loads a playbook from a file on disk; relative task files
// resolve next to it.
func LoadFile(path string) (*Playbook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read playbook: %w", err)
	}
	pb, err := parse(path, data, os.DirFS(filepath.Dir(path)), filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	pb.Name = baseName(path)
	return pb, nil
}

func baseName(path string) string {
	b := filepath.Base(path)
	return strings.TrimSuffix(strings.TrimSuffix(b, ".yaml"), ".yml")
}

// Find returns the playbook called ref: an existing file path, else NAME
// (or NAME.yaml / NAME.yml) in dir when dir is set, else the built-in NAME.
func Find(ref, dir string) (*Playbook, error) {
	if strings.ContainsRune(ref, os.PathSeparator) || strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml") {
		if _, err := os.Stat(ref); err == nil {
			return LoadFile(ref)
		}
	}
	name := baseName(ref)
	if dir != "" {
		for _, cand := range []string{name + ".yaml", name + ".yml"} {
			p := filepath.Join(dir, cand)
			if _, err := os.Stat(p); err == nil {
				return LoadFile(p)
			}
		}
	}
	pb, err := Builtin(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("playbook %q: no such file, and no built-in or override of that name (see `zdmctl playbook list`)", ref)
	}
	return pb, err
}

// Builtin loads the embedded playbook name.
func Builtin(name string) (*Playbook, error) {
	root := builtinRoot()
	for _, cand := range []string{name + ".yaml", name + ".yml"} {
		data, err := fs.ReadFile(root, cand)
		if err != nil {
			continue
		}
		pb, err := Parse("builtin:"+cand, data, root)
		if err != nil {
			return nil, err
		}
		pb.Name = name
		return pb, nil
	}
	return nil, fmt.Errorf("built-in playbook %s: %w", name, fs.ErrNotExist)
}

// Entry is one playbook in a listing.
type Entry struct {
	Name        string `json:"name"`
	Source      string `json:"source"` // "builtin" or the override file
	Description string `json:"description"`
}

// List returns the built-in playbooks, with those overridden by dir
// pointing at the override file, plus extra playbooks found in dir.
func List(dir string) ([]Entry, error) {
	byName := map[string]Entry{}
	root := builtinRoot()
	ents, err := fs.ReadDir(root, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if e.IsDir() || !isYAML(e.Name()) {
			continue
		}
		data, err := fs.ReadFile(root, e.Name())
		if err != nil {
			return nil, err
		}
		n := baseName(e.Name())
		byName[n] = Entry{Name: n, Source: "builtin", Description: description(data)}
	}
	if dir != "" {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("playbook dir: %w", err)
		}
		for _, e := range ents {
			if e.IsDir() || !isYAML(e.Name()) {
				continue
			}
			p := filepath.Join(dir, e.Name())
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			n := baseName(e.Name())
			byName[n] = Entry{Name: n, Source: p, Description: description(data)}
		}
	}
	out := make([]Entry, 0, len(byName))
	for _, e := range byName {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func isYAML(n string) bool { return strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml") }

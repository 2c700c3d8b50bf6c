package zdmcmd

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// Binary is the zdm-proxy executable to install.
type Binary struct {
	Path string
	Data []byte
	Name string // zdm-proxy-<sha256[:12]>
}

// FindBinary reads path, or zdm-proxy beside the zdmctl executable, and
// checks it is a linux/amd64 ELF executable.
func FindBinary(path string) (*Binary, error) {
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("locate zdmctl: %w", err)
		}
		path = filepath.Join(filepath.Dir(exe), "zdm-proxy")
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no zdm-proxy binary beside zdmctl (%s): build it with `make build` or pass --proxy-binary PATH", path)
		}
	}
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--proxy-binary %s: not a linux executable: %w", path, err)
	}
	machine := f.Machine
	f.Close()
	if machine != elf.EM_X86_64 {
		return nil, fmt.Errorf("--proxy-binary %s: built for %s, the proxy hosts need linux/amd64 (GOOS=linux GOARCH=amd64)", path, machine)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return &Binary{Path: path, Data: data, Name: "zdm-proxy-" + zdm.Hash(data)[:12]}, nil
}

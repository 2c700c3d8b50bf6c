package zdm

import (
	"errors"
	"fmt"

	"github.com/zdmctl/zdmctl/inventory"
)

// VarError is a bad value of one inventory var.
type VarError struct {
	Key string
	Err error
}

func (e *VarError) Error() string { return fmt.Sprintf("var %s: %v", e.Key, e.Err) }
func (e *VarError) Unwrap() error { return e.Err }

func varErrorf(key, format string, args ...any) error {
	return &VarError{Key: key, Err: fmt.Errorf(format, args...)}
}

// CommandLineError is a bad value given on the command line (--set or a
// flag such as --read-mode), not in the inventory file.
type CommandLineError struct{ *VarError }

func (e *CommandLineError) Error() string {
	return fmt.Sprintf("%v (given on the command line)", e.VarError)
}

// varSourcer is the part of *inventory.Inventory that knows where the
// file sets a var.
type varSourcer interface {
	VarSource(host, key string) (inventory.Source, bool)
}

// locate turns a VarError for host into an *inventory.Error naming the
// file, line and field that set the var, so the operator is sent to the
// line to fix. A value given on the command line (overrides) says so; any
// other error is prefixed with the host.
func locate(inv Inventory, host string, overrides map[string]any, err error) error {
	var ve *VarError
	if !errors.As(err, &ve) {
		return fmt.Errorf("host %s: %w", host, err)
	}
	if _, ok := overrides[ve.Key]; ok {
		return &CommandLineError{ve}
	}
	if vs, ok := inv.(varSourcer); ok {
		if s, ok := vs.VarSource(host, ve.Key); ok {
			return s.Err(ve.Err.Error())
		}
	}
	return fmt.Errorf("host %s: %w", host, err)
}

// InventoryError names the inventory file at path in err, unless err
// already starts with the file and line (an *inventory.Error) or is about
// a value given on the command line.
func InventoryError(path string, err error) error {
	var located *inventory.Error
	var flag *CommandLineError
	if errors.As(err, &located) || errors.As(err, &flag) {
		return err
	}
	return fmt.Errorf("inventory %s: %w", path, err)
}

package testfleet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// waitSSH returns when every host's sshd has sent its banner: directly for
// the regular hosts, through the bastion's SSH connection for the
// bastion-only host. It also puts the bastion's extra interface into the
// internal bridge once nspawn has made it.
func waitSSH(ctx context.Context, f *Fleet) error {
	errs := make(chan error, len(f.Hosts)+1)
	n := 0
	if f.InternalBridge != "" {
		n++
		go func() {
			err := attachWhenPresent(ctx, bastionVeth(f.Bridge), f.InternalBridge)
			if err != nil {
				err = fmt.Errorf("bastion %s: %w", f.Hosts[0].Name, err)
			}
			errs <- err
		}()
	}
	for _, h := range f.Hosts {
		n++
		go func() { errs <- waitHost(ctx, f, h) }()
	}
	var all []error
	for range n {
		if err := <-errs; err != nil {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}

// waitHost polls one host's SSH port until it sends a banner. It gives up
// early when the host's systemd-nspawn has exited.
func waitHost(ctx context.Context, f *Fleet, h Host) error {
	var last error
	for {
		if !alive(h.PID, h.StartTime) {
			return fmt.Errorf("host %s: systemd-nspawn exited while booting%s", h.Name, tailOf(h.Log))
		}
		_, err := probeSSH(ctx, f, h)
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("host %s (%s): no SSH banner: %w (last: %v)%s", h.Name, h.Address, ctx.Err(), last, tailOf(h.Log))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// probeSSH makes one attempt to read h's SSH banner.
func probeSSH(ctx context.Context, f *Fleet, h Host) (string, error) {
	addr := net.JoinHostPort(h.Address, "22")
	if h.Bastion == "" {
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		conn, err := (&net.Dialer{}).DialContext(dctx, "tcp", addr)
		if err != nil {
			return "", err
		}
		defer conn.Close()
		return readBanner(conn, 3*time.Second)
	}
	jump, err := f.Dial(ctx, h.Bastion)
	if err != nil {
		return "", err
	}
	defer jump.Close()
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := jump.DialContext(dctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return readBanner(conn, 3*time.Second)
}

package transport

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/pkg/sftp"
)

// sftpServerPaths are where distributions install OpenSSH's sftp-server,
// tried in order for become (root) file access.
var sftpServerPaths = []string{
	"/usr/lib/openssh/sftp-server",     // Debian, Ubuntu
	"/usr/libexec/openssh/sftp-server", // RHEL, Fedora, SUSE
	"/usr/lib/ssh/sftp-server",         // Arch, Alpine
	"/usr/libexec/sftp-server",         // BSDs, macOS
	"/usr/lib/sftp-server",
}

// sftpOptions: concurrent writes make large uploads (the proxy binary) fast;
// a failed upload only ever leaves a temporary file, which is removed.
var sftpOptions = []sftp.ClientOption{sftp.UseConcurrentWrites(true)}

// sftpFor returns the connection's SFTP client for become (root, via
// `sudo -n sftp-server`) or for the login user, creating it on first use.
func (c *SSH) sftpFor(ctx context.Context, become bool) (*sftp.Client, error) {
	root := needSudo(c.user, become, "")
	mu := c.sftpMu[root]
	mu.Lock()
	defer mu.Unlock()
	c.mu.Lock()
	sc := c.sftps[root]
	c.mu.Unlock()
	if sc != nil {
		return sc, nil
	}
	if d := c.dead(); d != nil {
		return nil, &UnreachableError{Host: c.name, Err: d}
	}
	var err error
	if root {
		sc, err = c.startRootSFTP(ctx)
	} else {
		sc, err = sftp.NewClient(c.client, sftpOptions...)
		if err != nil {
			err = c.transportErr("start sftp", err)
		}
	}
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.sftps[root] = sc
	c.mu.Unlock()
	go func() {
		// A broken SFTP session is dropped so the next call starts a new one.
		sc.Wait()
		c.mu.Lock()
		if c.sftps[root] == sc {
			delete(c.sftps, root)
		}
		c.mu.Unlock()
	}()
	return sc, nil
}

// sftpServerProbe finds sftp-server; run through sudo it also proves the
// sudo right, so a refusal surfaces as ErrBecomeDenied.
func sftpServerProbe() string {
	var quoted []string
	for _, p := range sftpServerPaths {
		quoted = append(quoted, shellQuote(p))
	}
	return `for p in ` + strings.Join(quoted, " ") + `; do if [ -x "$p" ]; then echo "$p"; exit 0; fi; done; exit 3`
}

func (c *SSH) startRootSFTP(ctx context.Context) (*sftp.Client, error) {
	res, err := c.Exec(ctx, sftpServerProbe(), ExecOptions{Become: true})
	if err != nil {
		return nil, fmt.Errorf("start sftp as root: %w", err)
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("%s: start sftp as root: no sftp-server found in %s (exit %d: %s)",
			c.name, strings.Join(sftpServerPaths, ", "), res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	server := strings.TrimSpace(string(res.Stdout))
	sess, err := c.client.NewSession()
	if err != nil {
		return nil, c.transportErr("start sftp as root", err)
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		sess.Close()
		return nil, fmt.Errorf("%s: start sftp as root: %w", c.name, err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		sess.Close()
		return nil, fmt.Errorf("%s: start sftp as root: %w", c.name, err)
	}
	if err := sess.Start(sudoPrefix("") + " " + shellQuote(server)); err != nil {
		sess.Close()
		return nil, c.transportErr("start sftp as root", err)
	}
	sc, err := sftp.NewClientPipe(stdout, stdin, sftpOptions...)
	if err != nil {
		sess.Close()
		return nil, fmt.Errorf("%s: start sftp as root (%s): %w", c.name, server, err)
	}
	go func() {
		sc.Wait()
		sess.Close()
	}()
	return sc, nil
}

// ReadFile returns the content of path over SFTP.
func (c *SSH) ReadFile(ctx context.Context, path string, become bool) ([]byte, error) {
	sc, err := c.sftpFor(ctx, become)
	if err != nil {
		return nil, err
	}
	f, err := sc.Open(path)
	if err != nil {
		return nil, c.fileErr("read", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, c.fileErr("read", path, err)
	}
	return data, nil
}

// fileErr wraps an SFTP error, keeping os.ErrNotExist/ErrPermission visible.
func (c *SSH) fileErr(op, path string, err error) error {
	if d := c.dead(); d != nil {
		return &UnreachableError{Host: c.name, Err: d}
	}
	return fmt.Errorf("%s: %s %s: %w", c.name, op, path, err)
}

package modules

import (
	"os"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/deploy/transport"
)

func TestUserCreatesOnlyWhenMissing(t *testing.T) {
	f := &fakeConn{answer: func(cmd string) transport.ExecResult {
		return transport.ExecResult{Stdout: []byte("---\n")}
	}}
	env := &Env{Conn: f}
	r := run(t, env, "user", Args{"name": "zdm", "groups": []any{"adm"}, "home": "/opt/zdm"})
	mustStatus(t, r, "changed")
	if !f.ran("useradd", "--system", "--no-create-home", "--shell '/usr/sbin/nologin'", "--home-dir '/opt/zdm'", "--groups 'adm'", "'zdm'") {
		t.Fatalf("no useradd: %q", f.cmds)
	}
	f2 := &fakeConn{answer: func(cmd string) transport.ExecResult {
		return transport.ExecResult{Stdout: []byte("zdm:x:999:999::/opt/zdm:/usr/sbin/nologin\n---\nzdm adm\n")}
	}}
	env.Conn = f2
	mustStatus(t, run(t, env, "user", Args{"name": "zdm", "groups": []any{"adm"}, "home": "/opt/zdm"}), "ok")
	if len(f2.cmds) != 1 {
		t.Fatalf("extra commands on an existing user: %q", f2.cmds)
	}
	mustStatus(t, run(t, env, "user", Args{"name": "zdm", "shell": "/bin/bash"}), "changed")
	if !f2.ran("usermod --shell '/bin/bash' 'zdm'") {
		t.Fatalf("no usermod: %q", f2.cmds)
	}
	mustStatus(t, run(t, env, "user", Args{"name": "zdm", "state": "absent"}), "changed")
	if !f2.ran("userdel 'zdm'") {
		t.Fatalf("no userdel: %q", f2.cmds)
	}
	env.Check = true
	f3 := &fakeConn{answer: func(string) transport.ExecResult { return transport.ExecResult{Stdout: []byte("---\n")} }}
	env.Conn = f3
	mustStatus(t, run(t, env, "user", Args{"name": "zdm"}), "changed")
	if f3.ran("useradd") {
		t.Fatal("check mode ran useradd")
	}
}

func TestGroup(t *testing.T) {
	f := &fakeConn{}
	env := &Env{Conn: f}
	mustStatus(t, run(t, env, "group", Args{"name": "zdm", "gid": 901}), "changed")
	if !f.ran("groupadd --system --gid 901 'zdm'") {
		t.Fatalf("cmds %q", f.cmds)
	}
	f2 := &fakeConn{answer: func(string) transport.ExecResult { return transport.ExecResult{Stdout: []byte("zdm:x:901:\n")} }}
	env.Conn = f2
	mustStatus(t, run(t, env, "group", Args{"name": "zdm"}), "ok")
	mustStatus(t, run(t, env, "group", Args{"name": "zdm", "state": "absent"}), "changed")
	if !f2.ran("groupdel 'zdm'") {
		t.Fatalf("cmds %q", f2.cmds)
	}
}

func TestSystemdInstallsReloadsAndStarts(t *testing.T) {
	state := "disabled\n\ninactive\n"
	f := &fakeConn{answer: func(cmd string) transport.ExecResult {
		switch {
		case strings.HasPrefix(cmd, "p="):
			return transport.ExecResult{Stdout: []byte("absent\n" + probeSep + "\n" + state)}
		case strings.Contains(cmd, "is-enabled"):
			return transport.ExecResult{Stdout: []byte(state)}
		}
		return transport.ExecResult{}
	}}
	env := &Env{Conn: f}
	args := Args{"name": "zdm-proxy", "content": "[Service]\nExecStart=/bin/true\n", "enabled": true, "state": "started"}
	mustStatus(t, run(t, env, "systemd", args), "changed")
	if string(f.files["/etc/systemd/system/zdm-proxy.service"]) != "[Service]\nExecStart=/bin/true\n" {
		t.Fatalf("unit not written: %v", f.files)
	}
	// enable reloads the manager itself: no separate daemon-reload.
	if !f.ran("systemctl enable 'zdm-proxy.service' && systemctl start 'zdm-proxy.service' && systemctl is-active --quiet 'zdm-proxy.service'") || f.ran("daemon-reload") {
		t.Fatalf("cmds %q", f.cmds)
	}
	// A changed unit that needs no enable: an explicit daemon-reload.
	state = "enabled\n\ninactive\n"
	f.cmds, f.files = nil, nil
	mustStatus(t, run(t, env, "systemd", args), "changed")
	if !f.ran("systemctl daemon-reload && systemctl start 'zdm-proxy.service'") {
		t.Fatalf("cmds %q", f.cmds)
	}

	// already installed, enabled, active: nothing to do
	sum := sha256Hex([]byte("[Service]\nExecStart=/bin/true\n"))
	state = "enabled\n\nactive\n"
	f2 := &fakeConn{answer: func(cmd string) transport.ExecResult {
		switch {
		case strings.HasPrefix(cmd, "p="):
			return transport.ExecResult{Stdout: []byte("file\n644 root root 31\n" + sum + "\n" + probeSep + "\n" + state)}
		case strings.Contains(cmd, "is-enabled"):
			return transport.ExecResult{Stdout: []byte(state)}
		}
		return transport.ExecResult{}
	}}
	env.Conn = f2
	mustStatus(t, run(t, env, "systemd", args), "ok")
	if len(f2.cmds) != 1 {
		t.Fatalf("want 1 round trip (probe and state together), got %q", f2.cmds)
	}
	mustStatus(t, run(t, env, "systemd", Args{"name": "zdm-proxy", "state": "restarted"}), "changed")
	if !f2.ran("systemctl restart 'zdm-proxy.service' && systemctl is-active") {
		t.Fatalf("cmds %q", f2.cmds)
	}
	mustStatus(t, run(t, env, "systemd", Args{"name": "zdm-proxy", "state": "stopped", "enabled": false}), "changed")
	if !f2.ran("systemctl disable 'zdm-proxy.service' && systemctl stop 'zdm-proxy.service'") {
		t.Fatalf("cmds %q", f2.cmds)
	}
}

func TestPackage(t *testing.T) {
	f := &fakeConn{answer: func(cmd string) transport.ExecResult {
		if strings.Contains(cmd, "command -v apt-get") {
			return transport.ExecResult{Stdout: []byte("apt\nI ca-certificates\nM chrony\n")}
		}
		return transport.ExecResult{}
	}}
	env := &Env{Conn: f}
	mustStatus(t, run(t, env, "package", Args{"name": []any{"ca-certificates", "chrony"}, "update_cache": true}), "changed")
	if !f.ran("apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends 'chrony'") {
		t.Fatalf("cmds %q", f.cmds)
	}
	mustStatus(t, run(t, env, "package", Args{"name": "ca-certificates", "state": "absent"}), "changed")
	if !f.ran("apt-get remove -y -q 'ca-certificates'") {
		t.Fatalf("cmds %q", f.cmds)
	}
	f2 := &fakeConn{answer: func(cmd string) transport.ExecResult {
		return transport.ExecResult{Stdout: []byte("dnf\nI chrony\n")}
	}}
	env.Conn = f2
	mustStatus(t, run(t, env, "package", Args{"name": "chrony"}), "ok")
	f3 := &fakeConn{answer: func(cmd string) transport.ExecResult { return transport.ExecResult{Stdout: []byte("none\n")} }}
	env.Conn = f3
	mustStatus(t, run(t, env, "package", Args{"name": "chrony"}), "failed")
}

// The composed probe + systemctl query is valid sh (systemctl may be
// missing here: the query tolerates it).
func TestSystemdScriptRunsUnderRealShell(t *testing.T) {
	env := localEnv(t)
	env.Check, env.Diff = true, true
	dir := t.TempDir()
	r := run(t, env, "systemd", Args{"name": "demo", "content": "[Service]\nExecStart=/bin/true\n", "unit_dir": dir, "state": "started"})
	mustStatus(t, r, "changed")
	if !strings.Contains(r.Diff, "+ExecStart=/bin/true") {
		t.Fatalf("diff %q", r.Diff)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatal("check mode wrote the unit")
	}
}

package modules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCopyIdempotentCheckAndDiff(t *testing.T) {
	env := localEnv(t)
	dest := filepath.Join(t.TempDir(), "app.conf")
	args := Args{"content": "a\nb\nc\n", "dest": dest, "mode": "0640"}

	env.Check = true
	mustStatus(t, run(t, env, "copy", args), "changed")
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatalf("check mode created the file: %v", err)
	}
	env.Check = false
	mustStatus(t, run(t, env, "copy", args), "changed")
	got, _ := os.ReadFile(dest)
	if string(got) != "a\nb\nc\n" {
		t.Fatalf("content = %q", got)
	}
	fi, _ := os.Stat(dest)
	if fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode = %o", fi.Mode().Perm())
	}
	mustStatus(t, run(t, env, "copy", args), "ok")

	// diff of a change, in check mode: predicted, shown, not applied
	env.Check, env.Diff = true, true
	r := run(t, env, "copy", Args{"content": "a\nB\nc\n", "dest": dest, "mode": "0640"})
	mustStatus(t, r, "changed")
	for _, want := range []string{"--- " + dest, "+++ " + dest, "-b\n", "+B\n", " a\n", "@@ -1,3 +1,3 @@"} {
		if !strings.Contains(r.Diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, r.Diff)
		}
	}
	if got, _ := os.ReadFile(dest); string(got) != "a\nb\nc\n" {
		t.Fatalf("check mode changed the file: %q", got)
	}

	// only the mode differs: changed, fixed with chmod, content kept
	env.Check, env.Diff = false, false
	mustStatus(t, run(t, env, "copy", Args{"content": "a\nb\nc\n", "dest": dest, "mode": "0600"}), "changed")
	fi, _ = os.Stat(dest)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %o", fi.Mode().Perm())
	}
}

func TestCopyFromSrcWithOwner(t *testing.T) {
	env := localEnv(t)
	if err := os.WriteFile(filepath.Join(env.BaseDir, "f.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	u, g := currentUser(t)
	dest := filepath.Join(t.TempDir(), "f.txt")
	args := Args{"src": "f.txt", "dest": dest, "owner": u, "group": g}
	mustStatus(t, run(t, env, "copy", args), "changed")
	mustStatus(t, run(t, env, "copy", args), "ok")
}

func TestDiffOfSecretIsHidden(t *testing.T) {
	env := localEnv(t)
	env.Diff = true
	env.Secrets = []string{"s3cr3t-pw"}
	dest := filepath.Join(t.TempDir(), "creds")
	r := run(t, env, "copy", Args{"content": "user: app\npassword: s3cr3t-pw\n", "dest": dest})
	mustStatus(t, r, "changed")
	if strings.Contains(r.Diff, "s3cr3t") || !strings.Contains(r.Diff, "hidden") {
		t.Fatalf("diff not hidden:\n%s", r.Diff)
	}
	// the old content held the secret: the diff to a clean file is hidden too
	r = run(t, env, "copy", Args{"content": "user: app\n", "dest": dest})
	if strings.Contains(r.Diff, "s3cr3t") || !strings.Contains(r.Diff, "hidden") {
		t.Fatalf("diff not hidden:\n%s", r.Diff)
	}
	// secret: true hides a diff with no secret value in it
	env.Secret = true
	r = run(t, env, "copy", Args{"content": "user: other\n", "dest": dest})
	if strings.Contains(r.Diff, "other") || !strings.Contains(r.Diff, "hidden") {
		t.Fatalf("diff not hidden:\n%s", r.Diff)
	}
}

func TestTemplate(t *testing.T) {
	env := localEnv(t)
	env.Vars = map[string]any{"port": 9042, "hosts": []any{"a", "b"}}
	src := filepath.Join(env.BaseDir, "conf.tmpl")
	os.WriteFile(src, []byte("port: {{ .port }}\nhosts: {{ join \",\" .hosts }}\n"), 0o644)
	dest := filepath.Join(t.TempDir(), "conf.yml")
	mustStatus(t, run(t, env, "template", Args{"src": "conf.tmpl", "dest": dest}), "changed")
	got, _ := os.ReadFile(dest)
	if string(got) != "port: 9042\nhosts: a,b\n" {
		t.Fatalf("rendered %q", got)
	}
	mustStatus(t, run(t, env, "template", Args{"src": "conf.tmpl", "dest": dest}), "ok")

	os.WriteFile(src, []byte("x: {{ .missing }}\n"), 0o644)
	r := run(t, env, "template", Args{"src": "conf.tmpl", "dest": dest})
	mustStatus(t, r, "failed")
	if !strings.Contains(r.Msg, "missing") {
		t.Fatalf("msg %q does not name the missing key", r.Msg)
	}
}

func TestFileStates(t *testing.T) {
	env := localEnv(t)
	dir := filepath.Join(t.TempDir(), "a", "b")
	mustStatus(t, run(t, env, "file", Args{"path": dir, "state": "directory", "mode": "0750"}), "changed")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o750 {
		t.Fatalf("dir not created right: %v %v", fi, err)
	}
	mustStatus(t, run(t, env, "file", Args{"path": dir, "state": "directory", "mode": "0750"}), "ok")

	f := filepath.Join(dir, "touched")
	mustStatus(t, run(t, env, "file", Args{"path": f, "state": "file"}), "failed")
	mustStatus(t, run(t, env, "file", Args{"path": f, "state": "touch", "mode": "0600"}), "changed")
	mustStatus(t, run(t, env, "file", Args{"path": f, "state": "touch", "mode": "0600"}), "ok")

	link := filepath.Join(dir, "link")
	mustStatus(t, run(t, env, "file", Args{"path": link, "state": "link", "src": f}), "changed")
	if tgt, _ := os.Readlink(link); tgt != f {
		t.Fatalf("link -> %q", tgt)
	}
	mustStatus(t, run(t, env, "file", Args{"path": link, "state": "link", "src": f}), "ok")

	env.Check = true
	mustStatus(t, run(t, env, "file", Args{"path": dir, "state": "absent"}), "changed")
	if _, err := os.Stat(dir); err != nil {
		t.Fatal("check mode removed the dir")
	}
	env.Check = false
	mustStatus(t, run(t, env, "file", Args{"path": dir, "state": "absent"}), "changed")
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("dir still there")
	}
	mustStatus(t, run(t, env, "file", Args{"path": dir, "state": "absent"}), "ok")
}

func TestFileRefusesRoot(t *testing.T) {
	m, _ := Lookup("file")
	if err := m.Spec().Validate(Args{"path": "/", "state": "absent"}); err == nil {
		t.Fatal("path / accepted")
	}
	if err := m.Spec().Validate(Args{"path": "/etc/", "state": "absent"}); err == nil {
		t.Fatal("removing /etc accepted")
	}
	if err := m.Spec().Validate(Args{"path": "/opt", "state": "directory"}); err != nil {
		t.Fatalf("ensuring /opt exists refused: %v", err)
	}
	// a templated path is checked again when rendered; the fake conn
	// records any command that would have run
	f := &fakeConn{}
	if res := m.Run(context.Background(), &Env{Conn: f}, Args{"path": "/var/lib", "state": "absent"}); !res.Failed || len(f.cmds) != 0 {
		t.Fatalf("rendered system dir not refused: %+v %q", res, f.cmds)
	}
}

func TestFetch(t *testing.T) {
	env := localEnv(t)
	src := filepath.Join(t.TempDir(), "log.txt")
	os.WriteFile(src, []byte("line\n"), 0o644)
	dest := t.TempDir()
	r := run(t, env, "fetch", Args{"src": src, "dest": dest})
	mustStatus(t, r, "changed")
	got, err := os.ReadFile(filepath.Join(dest, "local", src))
	if err != nil || string(got) != "line\n" {
		t.Fatalf("fetched %q %v", got, err)
	}
	mustStatus(t, run(t, env, "fetch", Args{"src": src, "dest": dest}), "ok")
	mustStatus(t, run(t, env, "fetch", Args{"src": src + ".nope", "dest": dest}), "failed")
}

func TestUnifiedDiff(t *testing.T) {
	old := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"
	new := "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n11\n"
	d := UnifiedDiff("f", []byte(old), []byte(new))
	want := "--- f (before)\n+++ f (after)\n@@ -2,9 +2,10 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n 9\n 10\n+11\n"
	if d != want {
		t.Fatalf("diff:\n%s\nwant:\n%s", d, want)
	}
	if UnifiedDiff("f", []byte("x"), []byte("x")) != "" {
		t.Fatal("diff of equal content")
	}
	d = UnifiedDiff("f", nil, []byte("a\n"))
	if !strings.Contains(d, "@@ -0,0 +1 @@\n+a\n") {
		t.Fatalf("diff from empty:\n%s", d)
	}
}

func TestBinaryDiffIsSummarised(t *testing.T) {
	env := localEnv(t)
	env.Diff = true
	dest := filepath.Join(t.TempDir(), "bin")
	r := run(t, env, "copy", Args{"content": "ELF\x00\x01", "dest": dest})
	mustStatus(t, r, "changed")
	if !strings.Contains(r.Diff, "binary or large file: 0 bytes before, 5 after") {
		t.Fatalf("diff %q", r.Diff)
	}
}

func TestStat(t *testing.T) {
	env := localEnv(t)
	p := filepath.Join(t.TempDir(), "f")
	r := run(t, env, "stat", Args{"path": p})
	mustStatus(t, r, "ok")
	if r.Data["stat"].(map[string]any)["exists"] != false {
		t.Fatalf("%v", r.Data)
	}
	os.WriteFile(p, []byte("abc"), 0o640)
	st := run(t, env, "stat", Args{"path": p}).Data["stat"].(map[string]any)
	if st["exists"] != true || st["isreg"] != true || st["mode"] != "0640" || st["size"] != int64(3) ||
		st["checksum"] != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("%v", st)
	}
}

package testcluster

import (
	"testing"
)

func TestParseInfo(t *testing.T) {
	out := `origin.cluster=zdm-origin
origin.addr=10.199.0.1
origin.port=9042
origin.storage_port=7000
origin.auth=0
origin.dir=/tmp/z/origin
target.cluster=zdm-target
target.addr=10.199.0.1
target.port=9043
target.storage_port=7001
target.auth=1
target.dir=/tmp/z/target
version=5.0.9
lib=/var/cache/zdmctl-cassandra/5.0.9/lib
script=/repo/scripts/cassandra.sh
`
	info, err := parseInfo(out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != "5.0.9" || info.Lib != "/var/cache/zdmctl-cassandra/5.0.9/lib" {
		t.Errorf("version/lib = %q %q", info.Version, info.Lib)
	}
	o, tg := info.Endpoint(Origin), info.Endpoint(Target)
	if o.Addr() != "10.199.0.1:9042" || o.Auth || o.ClusterName != "zdm-origin" || o.StoragePort != 7000 {
		t.Errorf("origin = %+v", o)
	}
	if tg.Addr() != "10.199.0.1:9043" || !tg.Auth || tg.ClusterName != "zdm-target" || tg.Dir != "/tmp/z/target" {
		t.Errorf("target = %+v", tg)
	}
	if u, p := o.Credentials(); u != "" || p != "" {
		t.Errorf("origin without auth has credentials %q", u)
	}
	if u, _ := tg.Credentials(); u != Username {
		t.Errorf("target user = %q", u)
	}
}

func TestParseInfoRejects(t *testing.T) {
	for name, out := range map[string]string{
		"no equals":   "origin.addr 1.2.3.4\n",
		"bad port":    "origin.addr=a\norigin.port=x\ntarget.addr=b\ntarget.port=1\n",
		"no target":   "origin.addr=a\norigin.port=1\n",
		"empty input": "",
	} {
		if _, err := parseInfo(out); err == nil {
			t.Errorf("%s: parseInfo accepted %q", name, out)
		}
	}
}

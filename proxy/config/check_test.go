package config

import (
	"strings"
	"testing"
)

func TestCheckValue(t *testing.T) {
	if err := CheckValue("origin_contact_points", "10.0.1.1,db2"); err != nil {
		t.Fatal(err)
	}
	err := CheckValue("origin_contact_points", "10.0.1.1:9042")
	if err == nil || !strings.Contains(err.Error(), "no ports") || !strings.Contains(err.Error(), "origin_contact_points") {
		t.Fatalf("a port in a contact point: %v", err)
	}
	if err := CheckValue("origin_password", "x\ny"); err != nil {
		t.Fatalf("password: %v", err)
	}
	if err := CheckValue("no_such_key", "1"); err == nil {
		t.Fatal("unknown key accepted")
	}
	if _, err := Parse("x.yaml", []byte("origin_contact_points: a\ntarget_contact_points: b\nproxy_topology_addresses: \"10.0.0.1\"\nproxy_topology_index: 3\n")); err == nil {
		t.Fatal("topology index out of range accepted")
	}
}

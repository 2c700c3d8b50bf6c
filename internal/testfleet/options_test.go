package testfleet

import (
	"strings"
	"testing"
)

func TestOptionsDefaults(t *testing.T) {
	o, err := Options{N: 3, Bridge: "br7", Subnet: "10.1.6.0/24"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.InternalSubnet != "10.1.7.0/24" {
		t.Errorf("internal subnet: got %q, want the next /24", o.InternalSubnet)
	}
	if o.CacheDir != DefaultCacheDir || o.StateRoot != DefaultStateRoot || o.Group != DefaultGroup {
		t.Errorf("defaults not filled: %+v", o)
	}
	if o.BootTimeout <= 0 {
		t.Errorf("boot timeout %v", o.BootTimeout)
	}
}

func TestOptionsRejects(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{N: 0}, "at least 1"},
		{Options{N: 1, Name: "Fleet"}, "fleet name"},
		{Options{N: 1, Name: "toolongname"}, "fleet name"},
		{Options{N: 1, Bridge: "br0"}, "set both or neither"},
		{Options{N: 1, Bridge: "averyverylongbridge", Subnet: "10.0.0.0/24"}, "bridge name"},
		{Options{N: 1, Bridge: "br0", Subnet: "10.0.0.0/16"}, "/24"},
		{Options{N: 1, Bridge: "br0", Subnet: "10.0.255.0/24"}, "no /24 after"},
	} {
		_, err := c.o.withDefaults()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error with %q", c.o, err, c.want)
		}
	}
}

func TestAddrIn(t *testing.T) {
	if got := addrIn("10.199.4.0/24", 11); got != "10.199.4.11" {
		t.Fatalf("got %s", got)
	}
}

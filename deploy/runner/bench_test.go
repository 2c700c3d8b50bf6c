package runner

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkRunFleet measures the engine's own overhead: 100 hosts, 10
// tasks each (templated args, when, register), fake connections.
func BenchmarkRunFleet(b *testing.B) {
	hosts := make([]string, 100)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("h%03d", i)
	}
	inv := newInv(hosts...)
	var sb strings.Builder
	sb.WriteString("- hosts: all\n  serial: \"25%\"\n  tasks:\n")
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&sb, "    - shell: \"echo {{ .inventory_hostname }} %d\"\n      register: r%d\n      when: inventory_hostname != 'none'\n", i, i)
	}
	pb, err := parseForBench(sb.String())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		f := &fleet{}
		res, err := Run(context.Background(), RunOptions{Inventory: inv, Playbook: pb, Dial: f.Dial, Forks: 20})
		if err != nil || res.ExitCode() != 0 {
			b.Fatal(err)
		}
	}
}

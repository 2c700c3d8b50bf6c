package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/zdmctl/zdmctl/proxy/bench/internal/proxyproc"
)

// BenchmarkProxy is `make bench`: every scenario direct and through the
// proxy, printed as a table and saved to bin/bench.md and bin/bench.json.
// It runs once whatever b.N is; use -benchtime 1x.
func BenchmarkProxy(b *testing.B) {
	opts, err := OptionsFromEnv(os.Getenv)
	if err != nil {
		b.Fatal(err)
	}
	if opts.OutPath == "" {
		repo, err := proxyproc.RepoRoot(".")
		if err != nil {
			b.Fatal(err)
		}
		opts.OutPath = filepath.Join(repo, "bin", "bench.md")
	}
	var rep *Report
	for range b.N {
		if rep != nil {
			continue
		}
		if rep, err = Run(context.Background(), opts, os.Stderr); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	fmt.Println()
	if err := rep.WriteText(os.Stdout); err != nil {
		b.Fatal(err)
	}
	if err := rep.Save(opts.OutPath); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("report saved to %s\n\n", opts.OutPath)
	for _, r := range rep.Rows {
		if r.Open {
			b.ReportMetric(r.Proxy.ProxyCPU, r.Key+"-cpu-us/op")
			b.ReportMetric(micros(r.AddedP50()), r.Key+"-added-p50-us")
			if r.Compare != nil {
				b.ReportMetric(r.Compare.ProxyCPU, r.Key+"-compare-cpu-us/op")
			}
		} else {
			b.ReportMetric(r.Ratio(), r.Key+"-closed-ratio")
		}
	}
}

package runner_test

import (
	"context"
	"fmt"
	"os"

	"github.com/zdmctl/zdmctl/deploy/output"
	"github.com/zdmctl/zdmctl/deploy/runner"
	"github.com/zdmctl/zdmctl/deploy/transport"
	"github.com/zdmctl/zdmctl/inventory"
	"github.com/zdmctl/zdmctl/playbooks"
)

// A rolling update as a later command (zdmctl rolling-update) would drive
// it: a health gate between batches, a journal for --resume, a rollback
// hook on a failed host.
func Example_rollingUpdate() {
	ctx := context.Background()
	inv, err := inventory.Load("inventory.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	pb, err := playbooks.Find("rolling-update", os.Getenv(playbooks.EnvDir))
	if err != nil {
		fmt.Println(err)
		return
	}
	journal := map[string]bool{} // persisted by the real command
	res, err := runner.Run(ctx, runner.RunOptions{
		Inventory: inv,
		Playbook:  pb,
		Vars:      map[string]any{"proxy_version": "2.3.1"},
		Forks:     10,
		Dial:      runner.DialWith(transport.DialOptions{}),
		Observer:  &output.Progress{Err: os.Stderr},
		Hooks: runner.Hooks{
			SkipHost: func(_ *playbooks.Play, host string) bool { return journal[host] },
			AfterBatch: func(ctx context.Context, b *runner.Batch) error {
				for _, h := range b.Hosts {
					if b.Conn(h) == nil {
						continue
					}
					// e.g. query the proxy's readiness on b.Conn(h)
				}
				return nil // an error stops the rollout, with the reason in Result.Stopped
			},
			OnHostDone: func(_ *playbooks.Play, host string) { journal[host] = true },
			OnHostFailed: func(ctx context.Context, f *runner.HostFailure) {
				// e.g. reinstall the previous binary through f.Conn
			},
		},
	})
	if res == nil {
		fmt.Println("nothing ran:", err)
		return
	}
	output.Recap(os.Stdout, res)
	os.Exit(res.ExitCode())
}

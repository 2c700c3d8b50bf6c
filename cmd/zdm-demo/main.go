// Command zdm-demo runs the proxy locally against two in-memory clusters and
// shows where each request goes in each migration phase.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/zdmctl/zdmctl/internal/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := demo.Run(ctx, demo.Options{Out: os.Stdout}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

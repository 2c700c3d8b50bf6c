// Command zdmctl deploys and operates a ZDM proxy fleet over SSH.
package main

import (
	"os"

	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/cmdutil"
	"github.com/zdmctl/zdmctl/cmd/zdmctl/internal/root"
)

func main() {
	os.Exit(root.Main(cmdutil.New(cmdutil.System()), os.Args[1:]))
}

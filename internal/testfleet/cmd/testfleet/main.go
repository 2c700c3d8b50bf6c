// Command testfleet boots and tears down the test fleet (systemd-nspawn
// hosts with SSH) for manual runs: `make fleet-up N=3`, `make fleet-down`.
//
//	testfleet up [-n 3] [-name fleet] [-bridge zdmbr0] [-subnet 10.199.0.0/24] ...
//	testfleet down [-name fleet | -all]
//	testfleet status [-name fleet]
//	testfleet base
//
// Hosts, addresses and file paths go to stdout; progress to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/zdmctl/zdmctl/internal/testfleet"
)

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()})))
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "up":
		err = up(ctx, os.Args[2:])
	case "down":
		err = down(os.Args[2:])
	case "status":
		err = status(os.Args[2:])
	case "base":
		err = base(ctx, os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testfleet:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: testfleet up|down|status|base [flags] (-h for flags)")
	os.Exit(2)
}

func logLevel() slog.Level {
	if os.Getenv("TESTFLEET_DEBUG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

func up(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("up", flag.ExitOnError)
	var o testfleet.Options
	fs.IntVar(&o.N, "n", 3, "number of regular hosts")
	fs.StringVar(&o.Name, "name", testfleet.DefaultName, "fleet name (1-7 lowercase letters/digits)")
	fs.StringVar(&o.Bridge, "bridge", testfleet.DefaultBridge, "bridge in the root namespace")
	fs.StringVar(&o.Subnet, "subnet", testfleet.DefaultSubnet, "the bridge's /24")
	fs.StringVar(&o.InternalSubnet, "internal-subnet", "", "/24 of the bastion-only host (default: the next /24)")
	fs.StringVar(&o.CacheDir, "cache-dir", testfleet.DefaultCacheDir, "base rootfs cache")
	fs.StringVar(&o.StateRoot, "state-root", testfleet.DefaultStateRoot, "state directories")
	fs.StringVar(&o.Mirror, "mirror", "", "Debian mirror (default: the one apt uses)")
	fs.StringVar(&o.Group, "group", testfleet.DefaultGroup, "inventory group of the regular hosts")
	noSudo := fs.Bool("no-sudo-host", false, "no host with the deploy user")
	noBastion := fs.Bool("no-bastion", false, "no bastion-only host")
	replace := fs.Bool("replace", true, "take down a running fleet of the same name first")
	_ = fs.Parse(args)
	if fs.NArg() == 1 { // `up 3`, as make fleet-up N=3 calls it
		if _, err := fmt.Sscan(fs.Arg(0), &o.N); err != nil {
			return fmt.Errorf("host count %q: %w", fs.Arg(0), err)
		}
	} else if fs.NArg() > 1 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o.SudoUserHost, o.BastionHost = !*noSudo, !*noBastion
	if *replace {
		if err := testfleet.Down(o.StateRoot, o.Name); err != nil {
			return err
		}
	}
	start := time.Now()
	f, err := testfleet.Up(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "fleet %s up in %s\n", f.Name, time.Since(start).Round(time.Millisecond))
	printFleet(f)
	return nil
}

func printFleet(f *testfleet.Fleet) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tADDRESS\tUSER\tVIA")
	for _, h := range f.Hosts {
		via := "direct"
		if h.Bastion != "" {
			via = "ProxyJump " + h.Bastion
		}
		user := h.User
		if h.Become {
			user += " (sudo)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Name, h.Address, user, via)
	}
	tw.Flush()
	fmt.Printf("\nbridge      %s (%s)\n", f.Bridge, f.BridgeAddress)
	fmt.Printf("ssh_config  %s\n", f.SSHConfigFile)
	fmt.Printf("known_hosts %s\n", f.KnownHostsFile)
	fmt.Printf("key         %s\n", f.KeyFile)
	fmt.Printf("inventory   %s\n", f.InventoryFile)
	fmt.Printf("\ntry: ssh -F %s %s hostname\n", f.SSHConfigFile, f.Hosts[0].Name)
}

func down(args []string) error {
	fs := flag.NewFlagSet("down", flag.ExitOnError)
	name := fs.String("name", testfleet.DefaultName, "fleet name")
	root := fs.String("state-root", testfleet.DefaultStateRoot, "state directories")
	all := fs.Bool("all", false, "every fleet under the state root")
	_ = fs.Parse(args)
	start := time.Now()
	var err error
	if *all {
		err = testfleet.DownAll(*root)
	} else {
		err = testfleet.Down(*root, *name)
	}
	if err == nil {
		fmt.Fprintf(os.Stderr, "down in %s\n", time.Since(start).Round(time.Millisecond))
	}
	return err
}

func status(args []string) error {
	fs := flag.NewFlagSet("status", flag.ExitOnError)
	name := fs.String("name", testfleet.DefaultName, "fleet name")
	root := fs.String("state-root", testfleet.DefaultStateRoot, "state directories")
	_ = fs.Parse(args)
	f, err := testfleet.Load(*root, *name)
	if errors.Is(err, testfleet.ErrNoFleet) {
		names, _ := testfleet.List(*root)
		return fmt.Errorf("%w (fleets here: %v)", err, names)
	}
	if err != nil {
		return err
	}
	printFleet(f)
	return nil
}

func base(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("base", flag.ExitOnError)
	cache := fs.String("cache-dir", testfleet.DefaultCacheDir, "base rootfs cache")
	mirror := fs.String("mirror", "", "Debian mirror (default: the one apt uses)")
	_ = fs.Parse(args)
	start := time.Now()
	if err := testfleet.EnsureBase(ctx, *cache, *mirror); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "base ready in %s\n", time.Since(start).Round(time.Millisecond))
	fmt.Println(*cache)
	return nil
}

//go:build linux

// Command barewalk times the reference walk of package bare over a
// directory (default "/"), with the skips of cradle's filesystem-wide
// facts, and prints the entry count and the wall time.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/bench/barewalk/bare"
)

func main() {
	root := flag.String("root", "/", "directory to walk")
	workers := flag.Int("workers", 2, "parallel workers")
	skip := flag.String("skip", "proc,sys,dev,run", "comma-separated root-relative directories not to enter")
	local := flag.Bool("local-only", true, "skip pseudo, volatile and remote mounts")
	flag.Parse()
	opts := bare.Options{Root: *root, LocalOnly: *local, Workers: *workers}
	if *skip != "" {
		opts.Skip = strings.Split(*skip, ",")
	}
	start := time.Now()
	st := bare.Walk(opts)
	el := time.Since(start)
	fmt.Printf("entries=%d errors=%d seconds=%.3f\n", st.Entries, st.Errors, el.Seconds())
	if st.Entries == 0 {
		os.Exit(1)
	}
}

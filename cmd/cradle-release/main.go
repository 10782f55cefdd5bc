// Command cradle-release builds cradle's release artifacts (binaries,
// .deb/.rpm, OCI image, SHA256SUMS) reproducibly into a directory. It is a
// separate program so its packaging dependencies stay out of cradle.
// Usually run through scripts/release.sh; see docs/release.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/cradle-cra/cradle/internal/release"
)

func main() {
	var o release.Options
	flag.StringVar(&o.Dir, "C", ".", "module root of the git checkout to build")
	flag.StringVar(&o.Out, "out", "", "write the artifacts to `DIR` (must not exist or be empty)")
	flag.BoolVar(&o.Snapshot, "snapshot", false, "build an untagged or modified tree (version 0.0.0-snapshot+REV or X.Y.Z-snapshot.N+REV)")
	flag.Parse()
	if o.Out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: cradle-release [-C DIR] [-snapshot] -out DIR")
		os.Exit(2)
	}
	o.SourceDateEpoch = os.Getenv("SOURCE_DATE_EPOCH")
	o.Log = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	res, err := release.Build(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "cradle-release: %v\n", err)
		os.Exit(1)
	}
	for _, a := range res.Artifacts {
		fmt.Printf("%s  %s\n", a.SHA256, a.Name)
	}
}

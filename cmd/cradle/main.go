// Command cradle checks, fixes and proves the secure configuration of Linux
// hosts, root filesystems and container images. See internal/cli.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/cradle-cra/cradle/internal/cli"
)

func main() { os.Exit(run()) }

// run is main without the exit, so tests can run the real process.
func run() int {
	// SIGINT and SIGTERM cancel the context: long work (scans, walks, fix
	// planning, learning, watch) stops promptly and leaves its state
	// consistent. A second signal ends the process at once (default
	// action restored).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	return cli.Run(ctx, os.Args[1:], cli.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		IsTerminal: func(w io.Writer) bool {
			f, ok := w.(*os.File)
			return ok && term.IsTerminal(int(f.Fd()))
		},
	})
}

// Package cli is cradle's command-line interface: it declares flags,
// calls the application layer (internal/app) and renders what it returns.
// Run takes all I/O as arguments so tests drive the real CLI in-process;
// errors map to exit codes (0 clean, 1 internal error, 2 usage or input
// error, 3 findings, 130 interrupted).
package cli

import (
	"context"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/version"
)

// Env is the process environment a command sees.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads environment variables; nil means none are set.
	Getenv func(string) string
	// IsTerminal reports whether stdout/stderr are terminals (colour,
	// progress); nil means neither is.
	IsTerminal func(w io.Writer) bool
}

func (e *Env) getenv(k string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(k)
}

func (e *Env) tty(w io.Writer) bool {
	return e.IsTerminal != nil && e.IsTerminal(w)
}

// app is the application layer bound to this environment; warnings go to
// standard error.
func (e *Env) app() *app.App {
	return &app.App{Getenv: e.getenv, UID: os.Geteuid(), Version: version.Version(), Warn: e.warn}
}

func (e *Env) warn(err error) { e.warnf("%v", err) }

// Run executes cradle with args (without the program name) and returns the
// process exit code. Cancelling ctx (SIGINT, SIGTERM) stops long work.
func Run(ctx context.Context, args []string, env Env) int {
	root := NewRootCommand(env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := exitCode(ctx, err)
	if err != nil {
		io.WriteString(env.Stderr, message(code, err))
	}
	return code
}

// indent continues a multi-line message under its first line.
func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }

// Command groups in "cradle --help".
const (
	groupAssess    = "assess"
	groupChange    = "change"
	groupIntegrity = "integrity"
	groupCRA       = "cra"
)

const rootLong = `cradle evaluates a live Linux host, an offline root filesystem or a
container image against built-in hardening baselines, and produces the
evidence the EU Cyber Resilience Act (Regulation (EU) 2024/2847) asks for.

Targets (every command that reads or changes one):
  (none)          the live host this command runs on
  --root DIR      an offline root filesystem
  --image FILE    a container image archive

Exit codes: 0 clean, 1 internal error, 2 usage or input error,
3 findings at or above --fail-on (drift, a log that does not verify),
130 interrupted by SIGINT or SIGTERM.`

// NewRootCommand returns cradle's complete command tree wired to env (also
// used to generate man pages and shell completion).
func NewRootCommand(e Env) *cobra.Command {
	env := &e
	root := &cobra.Command{
		Use:           "cradle",
		Short:         "Secure-by-default checks, fixes and evidence for the EU Cyber Resilience Act",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Version(),
	}
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.AddGroup(
		&cobra.Group{ID: groupAssess, Title: "Assess:"},
		&cobra.Group{ID: groupChange, Title: "Change (fix, journal, roll back):"},
		&cobra.Group{ID: groupIntegrity, Title: "Integrity (baseline, drift, signed change log):"},
		&cobra.Group{ID: groupCRA, Title: "CRA (product file, classification, vulnerability cases):"},
	)
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	add(groupAssess, newScanCmd(env), newSBOMCmd(env), newVulnCmd(env), newSCAPCmd(env), newRulesCmd(env), newConvertCmd(env))
	add(groupChange, newFixCmd(env), newRunsCmd(env), newRollbackCmd(env))
	add(groupIntegrity, newBaselineCmd(env), newDriftCmd(env), newWatchCmd(env), newFimCmd(env), newLogCmd(env), newKeyCmd(env))
	add(groupCRA, newInitCmd(env), newClassifyCmd(env), newCaseCmd(env), newAdvisoryCmd(env), newRiskCmd(env), newEvidenceCmd(env))
	root.AddCommand(newVersionCmd(env))
	root.SetHelpCommand(newHelpCmd(root))
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	strictTree(root)
	return root
}

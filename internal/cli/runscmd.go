package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
)

type runsFlags struct {
	targetFlags
	outputFlags
}

func newRunsCmd(env *Env) *cobra.Command {
	f := &runsFlags{}
	cmd := &cobra.Command{
		Use:   "runs [--root DIR] [--format table|json]",
		Short: "List the fix runs applied to a target, newest first",
		Long: `List the runs "cradle fix --apply" made on a target, newest first: id, time,
who (OS user and --actor), change reference, number of operations and
state (applied; applying — interrupted, roll it back; failed; rolled_back).
Journals live under $CRADLE_HOME/runs, never inside the target.

Exit codes: 0 listed; 2 usage error; 1 internal error.`,
		Example: `  cradle runs
  cradle runs --root /srv/rootfs --format json`,
		RunE: func(cmd *cobra.Command, args []string) error { return runRuns(cmd, env, f) },
	}
	f.targetFlags.register(cmd, targetOpts{what: "runs of", writable: true, noQuiet: true})
	f.outputFlags.register(cmd, output.KindRunList, true)
	return cmd
}

func runRuns(cmd *cobra.Command, env *Env, f *runsFlags) error {
	spec, sink, err := specFor(cmd, env, &f.targetFlags, &f.outputFlags)
	if err != nil {
		return err
	}
	list, err := env.app().Runs(cmd.Context(), spec)
	if err != nil {
		return err
	}
	return sink.Write(list, output.Options{})
}

type rollbackFlags struct {
	targetFlags
	changeFlags
	force bool
}

func newRollbackCmd(env *Env) *cobra.Command {
	f := &rollbackFlags{}
	cmd := &cobra.Command{
		Use:   "rollback [--root DIR] RUN",
		Short: "Restore everything a fix run changed, exactly",
		Long: `Restore every path a fix run changed to the state recorded in its journal
before the change: content, mode, owner, extended attributes (ACLs and
SELinux labels included) and times; files and directories the run created
are removed, and live kernel parameters and packages are reverted. An
interrupted run (state "applying") is rolled back the same way.

If a path was changed again after the run (by hand or by a later run),
rollback stops without changing anything and lists the paths; roll back
the later runs first, or use --force to overwrite them.

The run must match the seal of its apply entry in the signed change log
(journal and run metadata digests); a run the log has no apply entry for (an
apply killed before it was logged) is rolled back only with --force. The
rollback is recorded in the signed change log.

Rollback restores everything it can: a path it cannot restore (and why)
is listed, the rest is restored, and the run stays as it is so that the
rollback can be run again once the cause is fixed. Rolling back a run that
was already rolled back does nothing and records nothing.

Exit codes: 0 restored (or already rolled back); 3 some paths could not
be restored (listed), or the run does not match the change log; 2 unknown
or unrecorded run, paths changed since, or the target root is not the
directory the run changed; 1 error; 130 interrupted
(SIGINT, SIGTERM; the rollback can be run again).`,
		Example: `  cradle runs
  cradle rollback 20261127T153000Z-1a2b
  cradle rollback --root /srv/rootfs --change-ref CHG-1234 20261127T153000Z-1a2b`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := f.spec(cmd)
			if err != nil {
				return err
			}
			res, err := env.app().Rollback(cmd.Context(), app.RollbackInput{Target: spec, RunID: args[0], Force: f.force, Change: f.change()})
			if res == nil {
				return err
			}
			if res.Already {
				fmt.Fprintf(env.Stdout, "run %s was already rolled back; nothing to do\n", res.RunID)
				return nil
			}
			fmt.Fprintf(env.Stdout, "rolled back run %s: %d path(s) restored, %d removed\n", res.RunID, len(res.Restored), len(res.Removed))
			if n := len(res.Restored) + len(res.Removed); n > 0 && n <= 20 {
				fmt.Fprintf(env.Stdout, "  %s\n", strings.Join(append(res.Restored, res.Removed...), "\n  "))
			}
			for _, fl := range res.Failed {
				fmt.Fprintf(env.Stdout, "  not restored: %s: %s\n", fl.Path, fl.Reason)
			}
			return err
		},
	}
	f.targetFlags.register(cmd, targetOpts{what: "roll back a run on", writable: true, noQuiet: true})
	f.changeFlags.register(cmd, "the rollback")
	cmd.Flags().BoolVar(&f.force, "force", false, "restore even paths changed after the run; roll back a run the change log has no apply entry for")
	return cmd
}

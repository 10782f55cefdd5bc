package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/journal"
	"github.com/cradle-cra/cradle/internal/output"
)

type runsFlags struct {
	root, format string
	// rollback
	force                    bool
	changeRef, actor, reason string
	key                      string
}

func newRunsCmd(env *Env) *cobra.Command {
	f := &runsFlags{}
	cmd := &cobra.Command{
		Use:   "runs [--root DIR] [--format table|json]",
		Short: "List the fix runs applied to a target, newest first",
		Long: `List the runs "cradle fix --apply" made on a target, newest first: id, time,
who (OS user and --actor), change reference, number of operations and
state (applied; applying — interrupted, roll it back; failed; rolled_back).
Journals live under $CRADLE_HOME/runs, never inside the target.`,
		Example: `  cradle runs
  cradle runs --root /srv/rootfs --format json`,
		RunE: func(cmd *cobra.Command, args []string) error { return runRuns(env, f) },
	}
	cmd.Flags().StringVar(&f.root, "root", "", "runs of the offline root filesystem at `DIR`")
	cmd.Flags().StringVarP(&f.format, "format", "f", "table", "output format: table or json")
	return cmd
}

func runRuns(env *Env, f *runsFlags) error {
	sink, err := output.Default().Open(output.KindRunList, f.format, "", env.Stdout)
	if err != nil {
		return err
	}
	store, ident, err := openRuns(env, f.root)
	if err != nil {
		return err
	}
	runs, err := store.List()
	if err != nil {
		return err
	}
	return sink.Write(journal.NewRunList(ident, runs), output.Options{})
}

func newRollbackCmd(env *Env) *cobra.Command {
	f := &runsFlags{}
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

The rollback is recorded in the signed change log.

Rollback restores everything it can: a path it cannot restore (and why)
is listed, the rest is restored, and the run stays as it is so that the
rollback can be run again once the cause is fixed. Rolling back a run that
was already rolled back does nothing and records nothing.

Exit codes: 0 restored (or already rolled back); 3 some paths could not
be restored (listed); 2 unknown run, paths changed since, or the target
root is not the directory the run changed; 1 error.`,
		Example: `  cradle runs
  cradle rollback 20261127T153000Z-1a2b
  cradle rollback --root /srv/rootfs --change-ref CHG-1234 20261127T153000Z-1a2b`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, ident, err := openRuns(env, f.root)
			if err != nil {
				return err
			}
			clog, err := openChangeLog(env, f.root, "", f.key)
			if err != nil {
				return err
			}
			if clog.RequireChangeRef && f.changeRef == "" {
				return &ExitError{Code: ExitUsage, Err: changelog.ErrChangeRefRequired}
			}
			run, err := store.Get(args[0])
			if errors.Is(err, fs.ErrNotExist) {
				return usageErr("no run %q for %s (see cradle runs)", args[0], ident)
			}
			if err != nil {
				return err
			}
			opts := journal.RollbackOptions{Force: f.force}
			if f.root == "" {
				opts.Runtime = fix.HostRuntime{}
			}
			res, err := store.Rollback(cmd.Context(), targetRoot(f.root), run.ID, opts)
			if errors.Is(err, journal.ErrChanged) {
				return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%w\nroll back later runs first, or use --force", err)}
			}
			if errors.Is(err, journal.ErrRootChanged) {
				return &ExitError{Code: ExitUsage, Err: err}
			}
			if err != nil && !errors.Is(err, journal.ErrIncomplete) {
				return fmt.Errorf("rollback %s: %w (it can be run again)", run.ID, err)
			}
			if res.Already {
				// Nothing was done: nothing to record.
				fmt.Fprintf(env.Stdout, "run %s was already rolled back; nothing to do\n", run.ID)
				return nil
			}
			detail := map[string]any{"run": run.ID, "restored": len(res.Restored), "removed": len(res.Removed)}
			if len(res.Failed) > 0 {
				detail["not_restored"] = res.Failed
			}
			details, _ := json.Marshal(detail)
			if _, lerr := clog.Append(cmd.Context(), changelog.Entry{
				Action: changelog.ActionRollback, Rules: run.Rules, ChangeRef: f.changeRef, Reason: f.reason,
				Actor: changelog.Actor{Actor: f.actor}, Details: details,
			}); lerr != nil {
				return fmt.Errorf("run %s rolled back, but the change log could not be written: %w", run.ID, appendErr(lerr))
			}
			fmt.Fprintf(env.Stdout, "rolled back run %s: %d path(s) restored, %d removed\n", run.ID, len(res.Restored), len(res.Removed))
			if len(res.Restored)+len(res.Removed) > 0 && len(res.Restored)+len(res.Removed) <= 20 {
				fmt.Fprintf(env.Stdout, "  %s\n", strings.Join(append(res.Restored, res.Removed...), "\n  "))
			}
			if len(res.Failed) > 0 {
				for _, fl := range res.Failed {
					fmt.Fprintf(env.Stdout, "  not restored: %s: %s\n", fl.Path, fl.Reason)
				}
				return findingsErr("run %s: %d path(s) could not be restored (listed above); everything else was. Fix the cause and run the rollback again", run.ID, len(res.Failed))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.root, "root", "", "roll back a run on the offline root filesystem at `DIR`")
	fl.BoolVar(&f.force, "force", false, "restore even paths changed after the run")
	fl.StringVar(&f.changeRef, "change-ref", "", "change request or ticket `REF` recorded in the change log")
	fl.StringVar(&f.actor, "actor", "", "who asked for the rollback")
	fl.StringVar(&f.reason, "reason", "", "why, recorded in the change log")
	fl.StringVar(&f.key, "key", "", "change-log signing key `FILE`")
	return cmd
}

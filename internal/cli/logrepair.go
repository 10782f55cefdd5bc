package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/signing"
)

// newLogRepairCmd is "log repair"; target reads the log command's target
// flags, the rest are its own (a default --reason must not leak into
// "log append", which requires one).
func newLogRepairCmd(env *Env, target *logFlags) *cobra.Command {
	f := &logFlags{}
	cmd := &cobra.Command{
		Use:   "repair [--root DIR | --image FILE] [--reason TEXT] [--change-ref REF] [--actor NAME]",
		Short: "Make a damaged change log appendable again, recording what was lost",
		Long: `Repair a change log that "cradle log verify" reports as damaged and that the
next append cannot recover (an interrupted append is completed by the next
append and needs no repair). The longest run of leading entries that verify
and chain is kept; the log, head and write-ahead file are first saved as
<name>.damaged-<time>; the log is cut after the kept entries, a new head is
signed, and a signed "log-repair" entry records the problem, how many
entries were kept and how many lines and bytes were cut, and where the
copies are. An intact log is left alone.

Exit codes: 0 repaired or intact; 2 no log, change reference required by
policy, or an insecure key; 1 internal error.`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.root, f.image = target.root, target.image
			return runLogRepair(cmd.Context(), env, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.reason, "reason", "change log repaired", "why, recorded in the log-repair entry")
	fl.StringVar(&f.changeRef, "change-ref", "", "change request or ticket `REF`")
	fl.StringVar(&f.actor, "actor", "", "who repairs, if not the OS user (`NAME`)")
	fl.StringVar(&f.key, "key", "", "sign with the private key `FILE` (default $"+signing.EnvKey+" or the generated key)")
	return cmd
}

func runLogRepair(ctx context.Context, env *Env, f *logFlags) error {
	l, err := openChangeLog(env, f.root, f.image, f.key)
	if err != nil {
		return err
	}
	res, err := l.Repair(ctx, changelogEntry(f))
	if err != nil {
		return appendErr(fmt.Errorf("log repair: %w", err))
	}
	if res.Intact {
		fmt.Fprintf(env.Stdout, "intact: nothing to repair in the change log of %s\n", l.Target)
		return nil
	}
	d := res.Details
	fmt.Fprintf(env.Stdout, "repaired the change log of %s: %s\n  kept %d entries, cut %d line(s) (%d bytes); recorded as entry %d\n",
		l.Target, d.Problem, d.KeptEntries, d.DroppedLines, d.DroppedBytes, res.Entry.Seq)
	for _, p := range d.SavedAs {
		fmt.Fprintf(env.Stdout, "  saved %s\n", p)
	}
	return nil
}

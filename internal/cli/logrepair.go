package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newLogRepairCmd(env *Env) *cobra.Command {
	var tf targetFlags
	var cf changeFlags
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
		Example: `  cradle log verify            # names the first bad entry
  cradle log repair --change-ref CHG-1234 --reason "disk full during an append"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := tf.spec(cmd)
			if err != nil {
				return err
			}
			out, err := env.app().LogRepair(cmd.Context(), spec, cf.change())
			if err != nil {
				return err
			}
			if out.Intact {
				fmt.Fprintf(env.Stdout, "intact: nothing to repair in the change log of %s\n", out.Target)
				return nil
			}
			d := out.Details
			fmt.Fprintf(env.Stdout, "repaired the change log of %s: %s\n  kept %d entries, cut %d line(s) (%d bytes); recorded as entry %d\n",
				out.Target, d.Problem, d.KeptEntries, d.DroppedLines, d.DroppedBytes, out.Entry.Seq)
			for _, p := range d.SavedAs {
				fmt.Fprintf(env.Stdout, "  saved %s\n", p)
			}
			return nil
		},
	}
	tf.register(cmd, targetOpts{what: "the log of", noQuiet: true, noOpen: true})
	cf.register(cmd, "the repair")
	return cmd
}

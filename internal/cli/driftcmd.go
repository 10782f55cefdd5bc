package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
)

const driftLong = `Compare a target with its approved baseline snapshot ("cradle baseline
approve") and report every difference:
  rule_status  a rule's status changed: new_failure (was pass,
               not_applicable or waived, now fail or error), resolved (was
               failing, now not) or changed
  value        a value a rule observed changed (exact before and after)
  file         a file the rules read changed: sha256, mode, owner, type or
               link (before and after), or was added or removed; in_scope
               marks a file the rules read now but did not at approval

The snapshot's signature is verified first; the rescan uses the snapshot's
profile, rule selection, tailoring and waivers. Each item carries
first_seen, the time it was first reported, kept in
$CRADLE_HOME/snapshots/<target>/drift-state.json until the item goes away
(docs/drift.md).

Exit codes: 0 no drift; 3 drift found, or the snapshot does not verify
(edited, unknown key, another target's); 2 no approved snapshot, usage or
input error; 1 internal error; 130 interrupted (SIGINT, SIGTERM).`

type driftFlags struct {
	targetFlags
	outputFlags
}

func newDriftCmd(env *Env) *cobra.Command {
	f := &driftFlags{}
	cmd := &cobra.Command{
		Use:   "drift [--root DIR | --image FILE] [--format table|json] [-o FILE]",
		Short: "Report changes since the approved baseline snapshot",
		Long:  driftLong,
		Example: `  cradle drift
  cradle drift --root /srv/rootfs --format json -o drift.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := specFor(cmd, &f.targetFlags, &f.outputFlags)
			if err != nil {
				return err
			}
			rep, err := env.app().Drift(cmd.Context(), app.DriftInput{Target: spec, Progress: newProgress(env, f.quiet)})
			if err != nil {
				return err
			}
			render := writeJSON(rep)
			if f.format == "table" {
				render = func(w io.Writer) error { return driftTable(w, rep) }
			}
			if err := emit(env, &f.outputFlags, 0o644, render); err != nil {
				return err
			}
			return rep.Verdict()
		},
	}
	f.targetFlags.register(cmd, targetOpts{what: "compare"})
	f.outputFlags.register(cmd, false, "table", "json")
	return cmd
}

func driftTable(w io.Writer, rep *app.DriftReport) error {
	a := rep.Approval
	by := a.Actor
	if by == "" {
		by = a.OSUser
	}
	fmt.Fprintf(w, "target %s, approved %s", rep.Target, rep.ApprovedAt.Format("2006-01-02 15:04:05Z"))
	if by != "" {
		fmt.Fprintf(w, " by %s", cell(by))
	}
	if a.ChangeRef != "" {
		fmt.Fprintf(w, " (%s)", cell(a.ChangeRef))
	}
	fmt.Fprintln(w)
	if len(rep.Items) == 0 {
		_, err := fmt.Fprintln(w, "no drift")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIRST SEEN\tKIND\tCHANGE\tSUBJECT\tBEFORE\tAFTER")
	for _, it := range rep.Items {
		subject := it.Rule
		if it.Path != "" {
			if subject != "" {
				subject += " "
			}
			subject += it.Path
		}
		if it.Attr != "" {
			subject += " (" + it.Attr + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", it.FirstSeen.Format("2006-01-02 15:04:05Z"), it.Kind, it.Change,
			cell(subject), cell(it.Before), cell(it.After))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d difference(s); exact values: --format json\n", len(rep.Items))
	return err
}

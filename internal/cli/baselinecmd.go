package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
)

const baselineLong = `Approve the current state of a target as its security baseline, so that
"cradle drift" and "cradle watch" can later report any unauthorised change
to it (CRA Annex I, Part I, (2)(f)).

"approve" scans the target like "cradle scan" (same target, profile,
tailoring, waiver and --rule flags) and records a snapshot of:
  - per rule: its status and the values observed (the report's evidence);
  - per file the rules opened, stat'ed or listed: type, mode, owner, size
    and SHA-256 (files over 16 MiB are not hashed; /proc and /sys are left
    out); for listed directories, their names;
  - the profile, rule selection, tailoring and waiver files used, so that
    drift is evaluated with exactly the approved selection.

The snapshot is signed with the change log's ed25519 key and stored under
$CRADLE_HOME/snapshots/<target>/approved.json; the previous one is kept as
approved-<time>.json. An "approve" entry with --change-ref, --actor and
--reason is appended to the target's change log (docs/drift.md).`

type approveFlags struct {
	targetFlags
	selectionFlags
	changeFlags
}

func newBaselineCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Approve a target's current state as the baseline drift is measured against",
		Long:  baselineLong,
		Example: `  cradle baseline approve --change-ref CHG-1234 --reason "hardened per CIS" --actor jdoe
  cradle baseline approve --root /srv/rootfs --profile strict`,
	}
	f := &approveFlags{}
	approve := &cobra.Command{
		Use:   "approve [--root DIR | --image FILE] [--profile P] [--rule ID ...] [--change-ref REF] [--actor NAME] [--reason TEXT]",
		Short: "Scan the target and approve the result as its signed baseline snapshot",
		Long: baselineLong + `

Exit codes: 0 approved (failing rules are approved as they are: drift is
measured against the approved state, not against a clean scan); 2 usage or
input error, missing change reference required by policy, damaged change
log; 1 internal error; 130 interrupted (SIGINT, SIGTERM; nothing is
stored).`,
		Example: `  cradle baseline approve --change-ref CHG-1234 --reason "post-install hardening" --actor jdoe
  cradle baseline approve --root /srv/rootfs --profile strict --tailoring site.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := f.spec(cmd)
			if err != nil {
				return err
			}
			out, err := env.app().Approve(cmd.Context(), app.ApproveInput{
				Target: spec, Selection: f.selection(), Change: f.change(), Progress: newProgress(env, f.quiet),
			})
			if err != nil {
				return err
			}
			snap := out.Snapshot
			fmt.Fprintf(env.Stdout, "approved %s: %d rules (%d pass, %d fail, %d not applicable, %d error, %d waived), %d paths\n",
				out.Target, len(snap.Rules), snap.Summary["pass"], snap.Summary["fail"], snap.Summary["not_applicable"],
				snap.Summary["error"], snap.Summary["waived"], len(snap.Files))
			fmt.Fprintf(env.Stdout, "snapshot %s (%s), change log entry %d\n", out.Path, out.Digest, out.Seq)
			return nil
		},
	}
	f.targetFlags.register(approve, targetOpts{what: "approve"})
	f.selectionFlags.register(approve, selectionOpts{verb: "approve", stored: true})
	f.changeFlags.register(approve, "this state")
	cmd.AddCommand(approve)
	return cmd
}

package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
)

const logLong = `Show the change log of a target: every fix, rollback, baseline approval and
waiver change (and manual changes recorded with "cradle log append"), with
who made it (OS user and --actor), when, which rules, the change reference
and the reason. The target flags only select which log; nothing is read from
the target itself. Without them the live host's log is shown.

Each target has one append-only log under $CRADLE_HOME/logs. Entries are
hash-chained and signed with ed25519, and a signed head records the last
entry, so "cradle log verify" detects any edit, deletion, reordering or
truncation (docs/change-log.md).`

func newLogCmd(env *Env) *cobra.Command {
	var tf targetFlags
	var of outputFlags
	cmd := &cobra.Command{
		Use:   "log [--root DIR | --image FILE] [--format table|json]",
		Short: "Show or verify the tamper-evident change log of a target",
		Long: logLong + `

Exit codes: 0 shown; 3 the log cannot be parsed; 2 usage error; 1 internal
error.`,
		Example: `  cradle log
  cradle log --root /srv/rootfs --format json
  cradle log verify --root /srv/rootfs
  cradle log append --change-ref CHG-1234 --reason "opened port 8443 for the API" --actor jdoe`,
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, sink, err := specFor(cmd, env, &tf, &of)
			if err != nil {
				return err
			}
			out, err := env.app().LogShow(cmd.Context(), spec)
			if err != nil {
				return err
			}
			if len(out.Entries) == 0 && sink.Format() == "table" {
				fmt.Fprintf(env.Stderr, "cradle: no change log entries for %s\n", out.Target)
				return nil
			}
			return sink.Write(out, output.Options{})
		},
	}
	tf.register(cmd, targetOpts{what: "the log of", noQuiet: true, noOpen: true})
	of.register(cmd, output.KindChangeLog, true)
	cmd.AddCommand(newLogVerifyCmd(env), newLogAppendCmd(env), newLogRepairCmd(env))
	return cmd
}

func newLogVerifyCmd(env *Env) *cobra.Command {
	var tf targetFlags
	var pubkeys []string
	cmd := &cobra.Command{
		Use:   "verify [--root DIR | --image FILE] [--pubkey FILE ...]",
		Short: "Check that the change log was not edited, reordered or truncated",
		Long: `Check every entry of the change log: it parses, its signatures verify with
trusted keys (over the whole entry; entries written before the envelope
format also match their hash), its sequence number is the next one and it
chains to the previous entry; and the signed head matches the end of the
log (entries cut off at the end are detected). An append interrupted by a
crash is a warning (the next append completes it); for other damage see
"cradle log repair".

Trusted keys are the public keys in $CRADLE_HOME/keys (*.pub), or only the
ones given with --pubkey (keep a copy of the public key off the host to
rule out a swapped keys directory).

Exit codes: 0 intact; 3 tampered or damaged (the first bad entry and the
reason are named); 2 no log, or it cannot be read; 1 internal error.`,
		Example: `  cradle log verify
  cradle log verify --root /srv/rootfs --pubkey cradle-signing.pub`,
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := tf.spec(cmd)
			if err != nil {
				return err
			}
			s, err := env.app().LogVerify(cmd.Context(), app.LogVerifyInput{Target: spec, PubKeys: pubkeys})
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "intact: %d entries, head seq %d\n", s.Entries, s.HeadSeq)
			return nil
		},
	}
	tf.register(cmd, targetOpts{what: "the log of", noQuiet: true, noOpen: true})
	cmd.Flags().StringArrayVar(&pubkeys, "pubkey", nil, "trust only the public key in `FILE` (repeatable)")
	return cmd
}

func newLogAppendCmd(env *Env) *cobra.Command {
	var tf targetFlags
	var cf changeFlags
	var action string
	var rules, ruleFiles, paths []string
	cmd := &cobra.Command{
		Use:   "append --reason TEXT [--action manual] [--change-ref REF] [--actor NAME] [--rule ID ...] [--rules FILE|DIR] [--path FILE ...]",
		Short: "Record a change made outside cradle in the change log",
		Long: `Record a change made by hand (or by another tool) in the target's change
log, so that the log stays the complete, reviewable history of the
target's security configuration.

The entry is signed with the key in $CRADLE_HOME/keys (generated on first
use) or the private key given with --key or $CRADLE_SIGNING_KEY. When the
change policy requires it ($CRADLE_HOME/change-policy.yaml with
"require_change_ref: true", or CRADLE_REQUIRE_CHANGE_REF=1), --change-ref
is mandatory.

--path records the current state of a file changed by hand (type, sha256,
mode, owner; "absent" for a deleted one), read through the target, so
"cradle fim check" explains that change by this entry.

Exit codes: 0 recorded; 2 usage error, missing change reference or a
damaged log (run "cradle log verify"); 1 internal error.`,
		Example: `  cradle log append --reason "opened port 8443 for the API" --change-ref CHG-1234 --actor jdoe
  cradle log append --root /srv/rootfs --rule ssh.permit_root_login --reason "root login needed for migration"
  cradle log append --path /etc/hosts --change-ref CHG-1240 --reason "added the backup server"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := tf.spec(cmd)
			if err != nil {
				return err
			}
			out, err := env.app().LogAppend(cmd.Context(), app.LogAppendInput{Target: spec, Action: action, Rules: rules, RuleFiles: ruleFiles, Change: cf.change(), Paths: paths})
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "recorded entry %d in the change log of %s (key %s)\n", out.Seq, out.Target, out.KeyID)
			return nil
		},
	}
	tf.register(cmd, targetOpts{what: "the log of", noQuiet: true, noOpen: true})
	cf.register(cmd, "the change")
	fl := cmd.Flags()
	fl.StringVar(&action, "action", app.ActionManual, "what happened: "+strings.Join(app.Actions, ", "))
	fl.StringSliceVar(&rules, "rule", nil, "rule `ID` the change concerns (repeatable)")
	registerRuleFiles(cmd, &ruleFiles, "")
	fl.StringArrayVar(&paths, "path", nil, "absolute `FILE` in the target changed by hand: its current state is recorded (repeatable)")
	return cmd
}

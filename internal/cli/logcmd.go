package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/home"
	"github.com/cradle-cra/cradle/internal/output"
	"github.com/cradle-cra/cradle/internal/signing"
)

type logFlags struct {
	root, image string
	format      string
	pubkeys     []string
	// append
	action, changeRef, reason, actor, key string
	rules                                 []string
}

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
	f := &logFlags{}
	cmd := &cobra.Command{
		Use:   "log [--root DIR | --image FILE] [--format table|json]",
		Short: "Show or verify the tamper-evident change log of a target",
		Long:  logLong,
		Example: `  cradle log
  cradle log --root /srv/rootfs --format json
  cradle log verify --root /srv/rootfs
  cradle log append --change-ref CHG-1234 --reason "opened port 8443 for the API" --actor jdoe`,
		RunE: func(cmd *cobra.Command, args []string) error { return runLogShow(env, f) },
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.root, "root", "", "the log of the offline root filesystem at `DIR`")
	pf.StringVar(&f.image, "image", "", "the log of the container image `FILE`")
	cmd.Flags().StringVarP(&f.format, "format", "f", "table", "output format: table or json")

	verify := &cobra.Command{
		Use:   "verify [--root DIR | --image FILE] [--pubkey FILE ...]",
		Short: "Check that the change log was not edited, reordered or truncated",
		Long: `Check every entry of the change log: it parses, its content matches its
hash, its signature verifies with a trusted key, its sequence number is the
next one and it chains to the previous entry; and the signed head matches
the end of the log (entries cut off at the end are detected).

Trusted keys are the public keys in $CRADLE_HOME/keys (*.pub), or only the
ones given with --pubkey (keep a copy of the public key off the host to
rule out a swapped keys directory).

Exit codes: 0 intact; 3 tampered or damaged (the first bad entry and the
reason are named); 2 no log, or it cannot be read; 1 internal error.`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error { return runLogVerify(env, f) },
	}
	verify.Flags().StringArrayVar(&f.pubkeys, "pubkey", nil, "trust only the public key in `FILE` (repeatable)")

	appendCmd := &cobra.Command{
		Use:   "append --reason TEXT [--action manual] [--change-ref REF] [--actor NAME] [--rule ID ...]",
		Short: "Record a change made outside cradle in the change log",
		Long: `Record a change made by hand (or by another tool) in the target's change
log, so that the log stays the complete, reviewable history of the
target's security configuration.

The entry is signed with the key in $CRADLE_HOME/keys (generated on first
use) or the private key given with --key or $CRADLE_SIGNING_KEY. When the
change policy requires it ($CRADLE_HOME/change-policy.yaml with
"require_change_ref: true", or CRADLE_REQUIRE_CHANGE_REF=1), --change-ref
is mandatory.

Exit codes: 0 recorded; 2 usage error, missing change reference or a
damaged log (run "cradle log verify"); 1 internal error.`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error { return runLogAppend(cmd.Context(), env, f) },
	}
	af := appendCmd.Flags()
	af.StringVar(&f.action, "action", changelog.ActionManual, "what happened: "+strings.Join(changelog.Actions, ", "))
	af.StringVar(&f.reason, "reason", "", "why the change was made (required)")
	af.StringVar(&f.changeRef, "change-ref", "", "change request or ticket `REF`")
	af.StringVar(&f.actor, "actor", "", "who made the change, if not the OS user (person or system `NAME`)")
	af.StringSliceVar(&f.rules, "rule", nil, "rule `ID` the change concerns (repeatable)")
	af.StringVar(&f.key, "key", "", "sign with the private key `FILE` (PEM PKCS#8 ed25519; default $"+signing.EnvKey+" or the generated key)")

	cmd.AddCommand(verify, appendCmd)
	return cmd
}

// stateDir resolves $CRADLE_HOME.
func stateDir(env *Env) (string, error) {
	d, err := home.Dir(env.getenv, os.Geteuid())
	if err != nil {
		return "", usageErr("%v", err)
	}
	return d, nil
}

// changeLogFor returns the change log of the target selected by root or
// image (the live host when both are empty), without a signer.
func changeLogFor(env *Env, root, image string) (*changelog.Log, string, error) {
	id, err := changelog.TargetIdentity(root, image)
	if err != nil {
		return nil, "", usageErr("%v", err)
	}
	dir, err := stateDir(env)
	if err != nil {
		return nil, "", err
	}
	return &changelog.Log{Dir: filepath.Join(dir, "logs"), Target: id}, dir, nil
}

// openChangeLog prepares the target's change log for appending: signing
// key (keyPath, else $CRADLE_SIGNING_KEY, else generated), trusted keys and
// policy. Commands that change a target (fix, rollback, approvals, waivers)
// append through it.
func openChangeLog(env *Env, root, image, keyPath string) (*changelog.Log, error) {
	l, dir, err := changeLogFor(env, root, image)
	if err != nil {
		return nil, err
	}
	if err := home.Ensure(dir); err != nil {
		return nil, usageErr("%v", err)
	}
	if keyPath == "" {
		keyPath = env.getenv(signing.EnvKey)
	}
	keysDir := filepath.Join(dir, "keys")
	if l.Signer, err = signing.Resolve(keysDir, keyPath); err != nil {
		return nil, usageErr("%v", err)
	}
	if l.Keys, err = signing.LoadKeyring(keysDir); err != nil {
		return nil, usageErr("%v", err)
	}
	pol, err := changelog.LoadPolicy(dir, env.getenv)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	l.RequireChangeRef = pol.RequireChangeRef
	return l, nil
}

// appendErr maps append failures to exit codes: policy and damaged-log
// refusals are the operator's to resolve (2).
func appendErr(err error) error {
	if errors.Is(err, changelog.ErrChangeRefRequired) || errors.Is(err, changelog.ErrDamaged) {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	return err
}

func runLogAppend(ctx context.Context, env *Env, f *logFlags) error {
	if !changelog.ValidAction(f.action) {
		return usageErr("--action: unknown action %q (known: %s)", f.action, strings.Join(changelog.Actions, ", "))
	}
	if strings.TrimSpace(f.reason) == "" {
		return usageErr("--reason is required: say why the change was made")
	}
	l, err := openChangeLog(env, f.root, f.image, f.key)
	if err != nil {
		return err
	}
	e, err := l.Append(ctx, changelog.Entry{
		Action: f.action, Rules: f.rules, ChangeRef: f.changeRef, Reason: f.reason,
		Actor: changelog.Actor{Actor: f.actor},
	})
	if err != nil {
		return appendErr(err)
	}
	fmt.Fprintf(env.Stdout, "recorded entry %d in the change log of %s (key %s)\n", e.Seq, l.Target, e.KeyID)
	return nil
}

// trustedKeys are the --pubkey files, or every public key in the keys
// directory.
func trustedKeys(dir string, pubkeys []string) (signing.Keyring, error) {
	if len(pubkeys) == 0 {
		r, err := signing.LoadKeyring(filepath.Join(dir, "keys"))
		if err != nil {
			return nil, inputErr(err)
		}
		return r, nil
	}
	r := signing.Keyring{}
	for _, p := range pubkeys {
		pub, err := signing.LoadPublic(p)
		if err != nil {
			return nil, inputErr(fmt.Errorf("--pubkey: %w", err))
		}
		r.Add(pub)
	}
	return r, nil
}

func runLogVerify(env *Env, f *logFlags) error {
	l, dir, err := changeLogFor(env, f.root, f.image)
	if err != nil {
		return err
	}
	keys, err := trustedKeys(dir, f.pubkeys)
	if err != nil {
		return err
	}
	s, err := l.Verify(keys)
	var p *changelog.Problem
	switch {
	case errors.As(err, &p):
		return findingsErr("change log of %s (%s) is not intact: %s", l.Target, l.Path(), p.Error())
	case err != nil:
		return inputErr(err)
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(env.Stderr, "cradle: warning: %s\n", w)
	}
	fmt.Fprintf(env.Stdout, "intact: %d entries, head seq %d\n", s.Entries, s.HeadSeq)
	return nil
}

func runLogShow(env *Env, f *logFlags) error {
	sink, err := output.Default().Open(output.KindChangeLog, f.format, "", env.Stdout)
	if err != nil {
		return err
	}
	l, dir, err := changeLogFor(env, f.root, f.image)
	if err != nil {
		return err
	}
	entries := []changelog.Entry{}
	fh, err := os.Open(l.Path())
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return inputErr(err)
	default:
		defer fh.Close()
		if entries, err = changelog.Entries(fh); err != nil {
			return findingsErr("change log %s: %v (run \"cradle log verify\")", l.Path(), err)
		}
		// Showing a log that fails verification without saying so would
		// lend it credibility.
		if keys, kerr := trustedKeys(dir, nil); kerr == nil {
			var p *changelog.Problem
			if _, verr := l.Verify(keys); errors.As(verr, &p) {
				fmt.Fprintf(env.Stderr, "cradle: warning: the change log is not intact: %s (see \"cradle log verify\")\n", p.Error())
			}
		}
	}
	if len(entries) == 0 && sink.Format() == "table" {
		fmt.Fprintf(env.Stderr, "cradle: no change log entries for %s\n", l.Target)
		return nil
	}
	return sink.Write(changelog.NewListing(l.Target, l.Path(), entries), output.Options{})
}

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/home"
	"github.com/cradle-cra/cradle/internal/signing"
)

func newKeyCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "List, rotate and export the keys that sign the change log and snapshots",
		Long: `cradle signs its change log, heads and approved snapshots with an ed25519
key kept in $CRADLE_HOME/keys (docs/signing.md). Every *.pub there is
trusted for verification, so what a retired key signed keeps verifying.`,
		Args: wrapArgs(cobra.NoArgs),
	}
	var format string
	list := &cobra.Command{
		Use:   "list [--format table|json]",
		Short: "List the trusted keys: id, created, active or retired",
		Args:  wrapArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, args []string) error { return runKeyList(env, format) },
	}
	list.Flags().StringVarP(&format, "format", "f", "table", "output format: table or json")

	var reason, changeRef, actor string
	rotate := &cobra.Command{
		Use:   "rotate [--reason TEXT] [--change-ref REF] [--actor NAME]",
		Short: "Replace the signing key; the old public key stays trusted",
		Long: `Generate a new signing key and make it the one that signs. The old public key
stays trusted, so existing entries and snapshots keep verifying; its private
key is destroyed. A key-rotate entry is appended to every target's change
log, signed by the old key and the new one, so the log vouches for the new
key. A damaged log stops the rotation before anything changes.

Exit codes: 0 rotated; 2 no generated key (or $CRADLE_SIGNING_KEY is set),
change reference required by policy, or a damaged log; 1 internal error.`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKeyRotate(cmd.Context(), env, reason, changeRef, actor)
		},
	}
	rf := rotate.Flags()
	rf.StringVar(&reason, "reason", "signing key rotated", "why the key is rotated")
	rf.StringVar(&changeRef, "change-ref", "", "change request or ticket `REF`")
	rf.StringVar(&actor, "actor", "", "who rotates, if not the OS user (`NAME`)")

	var id, output string
	export := &cobra.Command{
		Use:   "export [--key ID] [-o FILE]",
		Short: "Print a public key (PEM) for verification elsewhere",
		Long: `Print the active public key, or the trusted key with --key ID, as PEM
(PKIX). Keep a copy off the host: "cradle log verify --pubkey FILE" and any
DSSE verifier with ed25519 check cradle's signatures with it.`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error { return runKeyExport(env, id, output) },
	}
	export.Flags().StringVar(&id, "key", "", "key `ID` to export (default: the active key)")
	export.Flags().StringVarP(&output, "output", "o", "", "write to `FILE` instead of standard output")
	cmd.AddCommand(list, rotate, export)
	return cmd
}

func keysDir(env *Env) (string, string, error) {
	dir, err := stateDir(env)
	if err != nil {
		return "", "", err
	}
	return dir, filepath.Join(dir, "keys"), nil
}

func runKeyList(env *Env, format string) error {
	if format != "table" && format != "json" {
		return usageErr("--format: unknown format %q (table, json)", format)
	}
	_, kd, err := keysDir(env)
	if err != nil {
		return err
	}
	keys, err := signing.ListKeys(kd)
	if err != nil {
		return inputErr(err)
	}
	if format == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(signing.NewKeyList(keys))
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tSTATUS")
	for _, k := range keys {
		created := "-"
		if !k.Created.IsZero() {
			created = k.Created.UTC().Format("2006-01-02 15:04:05Z")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.ID, created, k.Status)
	}
	return tw.Flush()
}

func runKeyRotate(ctx context.Context, env *Env, reason, changeRef, actor string) error {
	if env.getenv(signing.EnvKey) != "" {
		return usageErr("$%s names the signing key: rotate it where it is managed", signing.EnvKey)
	}
	dir, kd, err := keysDir(env)
	if err != nil {
		return err
	}
	if err := home.Ensure(dir); err != nil {
		return usageErr("%v", err)
	}
	keys, err := signing.LoadKeyring(kd)
	if err != nil {
		return inputErr(err)
	}
	pol, err := changelog.LoadPolicy(dir, env.getenv)
	if err != nil {
		return usageErr("%v", err)
	}
	base := changelog.Log{Dir: filepath.Join(dir, "logs"), Keys: keys, RequireChangeRef: pol.RequireChangeRef}
	var recorded []string
	old, next, err := signing.Rotate(kd, time.Now(), func(old, next *signing.Key) error {
		base.Keys.Add(next.Public())
		var rerr error
		recorded, rerr = changelog.RecordKeyRotation(ctx, base, old, next, changelog.Entry{
			Reason: reason, ChangeRef: changeRef, Actor: changelog.Actor{Actor: actor},
		})
		return rerr
	})
	if errors.Is(err, signing.ErrNoKeyToRotate) {
		return usageErr("%v in %s (it is generated on first use)", err, kd)
	}
	if err != nil {
		return appendErr(fmt.Errorf("key rotate: %w", err))
	}
	fmt.Fprintf(env.Stdout, "rotated: key %s is active, key %s retired (still trusted); recorded in %d change log(s)\n",
		next.ID(), old.ID(), len(recorded))
	return nil
}

func runKeyExport(env *Env, id, output string) error {
	_, kd, err := keysDir(env)
	if err != nil {
		return err
	}
	pem, err := signing.ExportPublic(kd, id)
	if err != nil {
		return inputErr(err)
	}
	if output == "" {
		_, err := env.Stdout.Write(pem)
		return err
	}
	return fileutil.WriteAtomic(output, pem, 0o644)
}

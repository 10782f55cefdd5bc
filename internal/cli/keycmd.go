package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/output"
)

func newKeyCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "List, rotate and export the keys that sign the change log and snapshots",
		Long: `cradle signs its change log, heads and approved snapshots with an ed25519
key kept in $CRADLE_HOME/keys (docs/signing.md). Every *.pub there is
trusted for verification, so what a retired key signed keeps verifying.`,
	}
	cmd.AddCommand(newKeyListCmd(env), newKeyRotateCmd(env), newKeyExportCmd(env))
	return cmd
}

func newKeyListCmd(env *Env) *cobra.Command {
	var of outputFlags
	cmd := &cobra.Command{
		Use:   "list [--format table|json]",
		Short: "List the trusted keys: id, created, active or retired",
		Long: `List the public keys trusted to have signed change logs and snapshots in
$CRADLE_HOME/keys: id, creation time and status (active signs now,
retired keeps verifying what it signed).

Exit codes: 0 listed; 2 usage error or an unreadable keys directory; 1
internal error.`,
		Example: `  cradle key list
  cradle key list --format json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			sink, err := of.open(env)
			if err != nil {
				return err
			}
			out, err := env.app().KeyList(cmd.Context())
			if err != nil {
				return err
			}
			return sink.Write(out, output.Options{})
		},
	}
	of.register(cmd, output.KindKeyList, true)
	return cmd
}

func newKeyRotateCmd(env *Env) *cobra.Command {
	var cf changeFlags
	cmd := &cobra.Command{
		Use:   "rotate [--reason TEXT] [--change-ref REF] [--actor NAME]",
		Short: "Replace the signing key; the old public key stays trusted",
		Long: `Generate a new signing key and make it the one that signs. The old public key
stays trusted, so existing entries and snapshots keep verifying; its private
key is destroyed. A key-rotate entry is appended to every target's change
log, signed by the old key and the new one, so the log vouches for the new
key. A damaged log stops the rotation before anything changes.

Exit codes: 0 rotated; 2 no generated key (or $CRADLE_SIGNING_KEY is set),
change reference required by policy, or a damaged log; 1 internal error.`,
		Example: `  cradle key rotate --change-ref CHG-1234 --reason "yearly rotation" --actor jdoe`,
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := env.app().KeyRotate(cmd.Context(), cf.change())
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "rotated: key %s is active, key %s retired (still trusted); recorded in %d change log(s)\n",
				out.New, out.Old, len(out.Recorded))
			return nil
		},
	}
	cf.register(cmd, "the rotation")
	return cmd
}

func newKeyExportCmd(env *Env) *cobra.Command {
	var id, output string
	cmd := &cobra.Command{
		Use:   "export [--key ID] [-o FILE]",
		Short: "Print a public key (PEM) for verification elsewhere",
		Long: `Print the active public key, or the trusted key with --key ID, as PEM
(PKIX). Keep a copy off the host: "cradle log verify --pubkey FILE" and any
DSSE verifier with ed25519 check cradle's signatures with it.

Exit codes: 0 exported; 2 unknown key or an unwritable file; 1 internal
error.`,
		Example: `  cradle key export -o cradle-signing.pub
  cradle log verify --pubkey cradle-signing.pub`,
		RunE: func(cmd *cobra.Command, args []string) error {
			pem, err := env.app().KeyExport(cmd.Context(), id, output)
			if err != nil || output != "" {
				return err
			}
			_, err = env.Stdout.Write(pem)
			return err
		},
	}
	cmd.Flags().StringVar(&id, "key", "", "key `ID` to export (default: the active key)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to `FILE` instead of standard output")
	return cmd
}

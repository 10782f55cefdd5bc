package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
)

const fimLong = `File integrity monitoring (CRA Annex I, Part I, (2)(f)): record the
type, mode, owner, size, times, inode, link count, link target and SHA-256
(and optionally SHA-512 and BLAKE3) of the programs, libraries, boot files and
configuration a policy selects, in a database signed with the change
log's ed25519 key, and report every later difference as old -> new.

  init    walk the target and write the first database
  check   verify the database, walk again and report added, removed and
          changed entries; files whose size, mtime, ctime and inode are
          unchanged are not re-read unless --full; each change says
          whether a fix run, a change-log entry or the installed package
          explains it (--unexplained-only, --fail-on unexplained)
  update  like check, then replace the database with the current state
          (sequence number + 1) and record --change-ref/--reason in the
          change log
  show    verify the database and list its entries
  verify-packages  compare package-shipped files with the package
          database's digests, without an integrity database

Without --config the built-in policy is used (/usr, /bin, /sbin, /lib,
/boot, /etc, root's SSH keys, cron spools, with volatile files excluded);
the database defaults to $CRADLE_HOME/fim/<target>.db. A database is
trusted only if its signature verifies with a key in $CRADLE_HOME/keys
and it is the database the change log last recorded for that path: an
edited, truncated or foreign database, or an older one put back after an
update, is reported as tampering (docs/fim.md).`

const fimExits = `

Exit codes: 0 no change (check) or database written; 3 changes found
(check; with --fail-on unexplained or --unexplained-only, only changes
nothing explains); 2 the database fails verification (tampering: edited, truncated,
signed by an unknown key, another target's, or older than the change log
records), no database, usage or input error; 1 internal error; 130
interrupted (SIGINT, SIGTERM).`

type fimFlags struct {
	targetFlags
	outputFlags
	changeFlags
	config, db string
	full       bool
	attrib     attribFlags
	walk       fimWalkFlags
}

type fimRun func(context.Context, app.FIMInput) (*app.FIMReport, error)

func newFimCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fim",
		Short: "File integrity monitoring with a signed database",
		Long:  fimLong + fimExits,
		Example: `  cradle fim init --change-ref CHG-1 --reason "initial baseline"
  cradle fim check
  cradle fim update --change-ref CHG-2 --reason "package upgrades"`,
	}
	a := func() *app.App { return env.app() }
	cmd.AddCommand(
		fimSub(env, "init", "Walk the target and write its first signed integrity database",
			`  cradle fim init --change-ref CHG-1 --reason "initial baseline"
  cradle fim init --root /srv/rootfs --config fim.yaml --db /var/lib/fim/rootfs.db`,
			false, true, func(ctx context.Context, in app.FIMInput) (*app.FIMReport, error) { return a().FIMInit(ctx, in) }),
		fimSub(env, "check", "Report every difference of the target from its integrity database",
			`  cradle fim check
  cradle fim check --root /srv/rootfs --full --format json -o fim.json
  cradle fim check --format sarif -o fim.sarif
  cradle fim check --fail-on unexplained --unexplained-only
  cradle fim check --one-file-system --nice 19 --max-rate 50M`,
			true, false, func(ctx context.Context, in app.FIMInput) (*app.FIMReport, error) { return a().FIMCheck(ctx, in) }),
		fimSub(env, "update", "Accept the target's current state into a new signed integrity database",
			`  cradle fim update --change-ref CHG-2 --reason "security updates" --actor jdoe`,
			true, true, func(ctx context.Context, in app.FIMInput) (*app.FIMReport, error) { return a().FIMUpdate(ctx, in) }),
		fimSub(env, "show", "Verify the integrity database and list its entries",
			`  cradle fim show
  cradle fim show --root /srv/rootfs --format json`,
			false, false, func(ctx context.Context, in app.FIMInput) (*app.FIMReport, error) { return a().FIMShow(ctx, in) }),
		newFimVerifyPackagesCmd(env),
		newFimWatchCmd(env),
	)
	return cmd
}

func fimSub(env *Env, name, short, example string, walks, records bool, run fimRun) *cobra.Command {
	f := &fimFlags{}
	use := name + " [--root DIR | --image FILE] [--config FILE] [--db FILE]"
	if walks {
		use += " [--full]"
	}
	if records {
		use += " [--change-ref REF] [--reason TEXT]"
	}
	cmd := &cobra.Command{
		Use:     use + " [--format table|json|sarif|junit|html] [-o FILE]",
		Short:   short,
		Long:    fimLong + fimExits,
		Example: example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.attrib.valid(); err != nil {
				return err
			}
			spec, sink, err := specFor(cmd, env, &f.targetFlags, &f.outputFlags)
			if err != nil {
				return err
			}
			in := app.FIMInput{Target: spec, Config: f.config, DB: f.db, Full: f.full,
				Change: f.change(), Progress: newProgress(env, f.quiet)}
			if err := f.walk.apply(&in); err != nil {
				return err
			}
			r, err := run(cmd.Context(), in)
			if err != nil {
				return err
			}
			if name == "check" {
				f.attrib.filter(r)
			}
			if err := sink.Write(r, output.Options{}); err != nil {
				return err
			}
			if name == "check" {
				return f.attrib.gate(r)
			}
			return nil
		},
	}
	f.targetFlags.register(cmd, targetOpts{what: name})
	f.outputFlags.register(cmd, output.KindFIMReport, false)
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "policy `FILE` (YAML paths: list; default the built-in policy)")
	fl.StringVar(&f.db, "db", "", "integrity database `FILE` (default $CRADLE_HOME/fim/<target>.db)")
	if name == "check" {
		f.attrib.register(cmd)
	}
	if walks {
		fl.BoolVar(&f.full, "full", false, "re-hash every file, not only those whose size, mtime, ctime or inode changed")
	}
	if records {
		f.changeFlags.register(cmd, "accepting this state")
	}
	if name != "show" {
		f.walk.register(cmd)
	}
	return cmd
}

package cli

import (
	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
)

// attribFlags are the change-attribution flags of fim check.
type attribFlags struct {
	unexplainedOnly bool
	failOn          string
}

func (f *attribFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.unexplainedOnly, "unexplained-only", false,
		"report only changes no fix run, change-log entry or installed package accounts for")
	fl.StringVar(&f.failOn, "fail-on", "any", "exit 3 on `any` change, or only on `unexplained` ones")
}

func (f *attribFlags) valid() error {
	if f.failOn != "" && f.failOn != "any" && f.failOn != "unexplained" {
		return app.Usagef("--fail-on %q: use any or unexplained", f.failOn)
	}
	return nil
}

// filter drops the explained changes with --unexplained-only (before the
// report is written).
func (f *attribFlags) filter(r *app.FIMReport) {
	if f.unexplainedOnly {
		r.KeepUnexplained()
	}
}

// gate is the exit status of a check.
func (f *attribFlags) gate(r *app.FIMReport) error {
	n, what := len(r.Changes), "change(s)"
	if f.failOn == "unexplained" || f.unexplainedOnly {
		n, what = r.Unexplained(), "unexplained change(s)"
	}
	if n == 0 {
		return nil
	}
	return app.Findingsf("%d %s since the integrity database (seq %d)", n, what, r.Database.Seq)
}

const verifyPackagesLong = `Compare every file the installed packages ship with the digest the package
database records for it (dpkg: /var/lib/dpkg/info/*.md5sums of the files
each package's .list still names, with diversions; apk: the Q1/Q2
checksums of /lib/apk/db/installed; rpm: the file digests of the SQLite
rpmdb), reading the files
in parallel through the target: like debsums or rpm -V, in one pass, and
without an integrity database.

Configuration files (dpkg conffiles, apk's /etc, rpm %config) are edited locally by
design and are read only with --conffiles. Packages that record no
digests are listed as unknown: nothing about their files was verified.

Exit codes: 0 every verified file matches; 3 files differ from their
package or are missing; 2 no package database, none records digests, none
of the files could be read, or a usage error; 1 internal error; 130
interrupted. Files that could not be read are listed as problems.`

func newFimVerifyPackagesCmd(env *Env) *cobra.Command {
	f := &fimFlags{}
	var conffiles bool
	cmd := &cobra.Command{
		Use:   "verify-packages [--root DIR | --image FILE] [--conffiles] [--format table|json] [-o FILE]",
		Short: "Verify package-shipped files against the package database's digests",
		Long:  verifyPackagesLong,
		Example: `  cradle fim verify-packages
  cradle fim verify-packages --root /srv/rootfs --format json -o packages.json
  cradle fim verify-packages --conffiles`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, sink, err := specFor(cmd, env, &f.targetFlags, &f.outputFlags)
			if err != nil {
				return err
			}
			r, err := env.app().FIMVerifyPackages(cmd.Context(), app.FIMVerifyPackagesInput{
				FIMInput: app.FIMInput{Target: spec}, Conffiles: conffiles})
			if err != nil {
				return err
			}
			if err := sink.Write(r, output.Options{}); err != nil {
				return err
			}
			return app.PackagesFailed(r)
		},
	}
	f.targetFlags.register(cmd, targetOpts{what: "verify-packages"})
	f.outputFlags.register(cmd, output.KindFIMReport, false)
	cmd.Flags().BoolVar(&conffiles, "conffiles", false, "verify configuration files too (local edits then fail the check)")
	return cmd
}

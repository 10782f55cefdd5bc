package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/app"
	"github.com/cradle-cra/cradle/internal/output"
)

type fixFlags struct {
	targetFlags
	selectionFlags
	outputFlags
	changeFlags
	apply                 bool
	force, acceptUnknown  []string
	maxDisruption         string
	noReboot, noPreflight bool
	strategies            []string
	noDiff                bool
	learn, learnEvery     time.Duration
}

const fixLong = `Plan, and with --apply make, the changes that bring failing rules back to
their secure setting. Every fix is a typed operation computed natively — a
file edit shown as a unified diff, a permission or owner change, a systemd
unit disabled or masked through its symlinks, a module blacklist, an fstab
option, a runtime sysctl — never a shell script.

Without --apply this is a dry run: the target is scanned, fixes are
planned, checked by an impact preflight, and verified by re-running the
rules against the planned state; nothing is written.

With --apply, files to be written are validated first (sshd_config and
sudoers syntax; on the live host also "sshd -t" and "visudo -c"), then
every change is journaled under $CRADLE_HOME before it is made and files
are replaced atomically. The rules are scanned again to verify. "cradle
runs" lists applied runs and "cradle rollback RUN" restores a run exactly
(content, mode, owner, extended attributes). Each apply is recorded in the
signed change log ("cradle log").

Impact preflight: before a fix is applied cradle looks for evidence that
it would break something — root or password SSH logins in the auth logs,
listening services and established connections, units that need a unit
being disabled, loaded kernel modules, a container runtime that needs IP
forwarding. A fix with observed impact is refused unless forced for that
rule with --force RULE. Where cradle had no source to look at (no auth log
or journal read, an offline root for running services and modules, a live
host whose PID 1 is not systemd for unit files) the impact is "unknown",
not "none": a fix of unknown impact rated disruption medium or high is
refused unless accepted with --accept-unknown RULE (rule ids or globs,
comma-separated or repeated, or "all") or "accept_unknown: [RULE, ...]"
in the tailoring file. The plan lists the sources read and missing. --learn
DURATION samples these signals on the live host for a while before
planning.

Filters (each rule's "fix:" metadata): --max-disruption low|medium|high
drops fixes rated above it, --no-reboot drops fixes that need a reboot,
--strategy configure,restrict keeps only those strategies (configure,
disable, enable, install, remove, restrict); --rule limits the rules.

Targets: the live host (default), --root DIR (an offline root filesystem;
package installs and other changes that need the running system are
reported as deferred), or --image FILE (plan only: images are rebuilt, not
patched).

Exit codes: 0 the plan was made (dry run) or every applied fix verified;
3 some fixes were refused, failed verification or could not be planned, or
--apply left planned paths alone because they changed since the plan (or
have other hard links; listed under "skipped");
2 usage or input error, validation refused the changes, or the target
changed since it was planned (nothing was changed); 1 internal error or an
apply that failed part-way (roll it back); 130 interrupted (SIGINT,
SIGTERM: a run stopped part-way is journaled and logged; roll it back).`

func newFixCmd(env *Env) *cobra.Command {
	f := &fixFlags{}
	cmd := &cobra.Command{
		Use:   "fix [--root DIR | --image FILE] [--apply] [flags]",
		Short: "Plan and apply reversible fixes for failing rules",
		Long:  fixLong,
		Example: `  cradle fix                                   # dry run on this host
  cradle fix --root /srv/rootfs --profile strict --apply --change-ref CHG-1234
  cradle fix --rule ssh.permit_root_login --format json
  cradle fix --apply --max-disruption low --no-reboot
  cradle fix --apply --force ssh.password_authentication
  cradle fix --root /srv/rootfs --apply --accept-unknown 'accounts.*,ssh.permit_root_login' 
  cradle fix --learn 24h`,
		RunE: func(cmd *cobra.Command, args []string) error { return runFix(cmd, env, f) },
	}
	f.targetFlags.register(cmd, targetOpts{what: "fix"})
	f.selectionFlags.register(cmd, selectionOpts{verb: "fix"})
	f.outputFlags.register(cmd, output.KindFixPlan, false)
	f.changeFlags.register(cmd, "the change")
	fl := cmd.Flags()
	fl.BoolVar(&f.apply, "apply", false, "make the changes (default: dry run)")
	fl.StringArrayVar(&f.force, "force", nil, "apply rule `ID` despite observed impact (repeatable)")
	fl.StringSliceVar(&f.acceptUnknown, "accept-unknown", nil, "apply fixes of these `RULES` (ids, globs or all) whose impact is unknown")
	fl.StringVar(&f.maxDisruption, "max-disruption", "", "only fixes rated at most `LEVEL`: low, medium or high")
	fl.BoolVar(&f.noReboot, "no-reboot", false, "skip fixes that need a reboot")
	fl.StringSliceVar(&f.strategies, "strategy", nil, "only fixes with these strategies: configure, disable, enable, install, remove, restrict")
	fl.BoolVar(&f.noPreflight, "no-preflight", false, "skip the impact preflight (nothing is refused)")
	fl.DurationVar(&f.learn, "learn", 0, "sample impact signals on the live host for `DURATION` before planning")
	fl.DurationVar(&f.learnEvery, "learn-interval", 10*time.Second, "sampling interval for --learn")
	fl.BoolVar(&f.noDiff, "no-diff", false, "table format: do not show file diffs")
	return cmd
}

func runFix(cmd *cobra.Command, env *Env, f *fixFlags) error {
	spec, sink, err := specFor(cmd, env, &f.targetFlags, &f.outputFlags)
	if err != nil {
		return err
	}
	out, err := env.app().Fix(cmd.Context(), app.FixInput{
		Target: spec, Selection: f.selection(), Apply: f.apply, Force: f.force, AcceptUnknown: f.acceptUnknown, Change: f.change(),
		MaxDisruption: f.maxDisruption, NoReboot: f.noReboot, Strategies: f.strategies, NoPreflight: f.noPreflight,
		Learn: f.learn, LearnEvery: f.learnEvery, Progress: newProgress(env, f.quiet),
	})
	if out == nil {
		return err
	}
	// Fix plans show configuration content: the sink writes files 0600.
	if werr := sink.Write(out.Document, output.Options{NoDiff: f.noDiff}); werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	return out.Verdict()
}

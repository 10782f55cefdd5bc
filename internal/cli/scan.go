package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/catalog"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/render"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/rules"
	"github.com/cradle-cra/cradle/internal/tailor"
	"github.com/cradle-cra/cradle/internal/target"
)

type scanFlags struct {
	root, image        string
	profile            string
	tailoring, waivers string
	format, output     string
	failOn             string
	rules              []string
	verbose, noColor   bool
	quiet              bool
	imageLimits        imageLimitFlags
}

const scanLong = `Evaluate a target against a hardening profile and report, per rule, pass,
fail, not_applicable (with the reason), error (with the reason) or waived,
with the evidence observed (expected value, observed value, file and line).

Targets (one of):
  (none)          the live host this command runs on ("/"); run as root for
                  complete results, otherwise unreadable files are reported as
                  errors, not passes
  --root DIR      an offline root filesystem (a chroot, a mounted image, a
                  debootstrap tree); runtime state is not evaluated
  --image FILE    a container image archive: "docker save" tarball or an OCI
                  image layout (directory or tar); layers are applied with
                  whiteouts in memory, nothing is unpacked or executed;
                  --image-max-bytes, --image-max-entries and
                  --image-max-name-bytes raise the bounds on its size
                  (docs/security.md)

Every file is read through a resolver that keeps symlinks inside the target
root, and a scan never writes into the target.

Profiles (--profile, see "cradle rules --profile P"):
  default   secure by default, safe on any server
  strict    default plus defence in depth
  product   default plus checks for shipped device and appliance images
            (empty/default passwords, debug and legacy admin services)

Tailoring (--tailoring FILE) selects or unselects rules and overrides
parameters; waivers (--waivers FILE) accept failures with justification,
owner, scope and expiry — an expired waiver no longer waives. Both are YAML
and are validated before anything is scanned (docs/tailoring.md).

Formats (--format): table (terminal summary), json (docs/json-schema.md),
sarif (SARIF 2.1.0), junit (JUnit XML), html (self-contained report).
-o FILE writes the report atomically to FILE instead of standard output.

Exit codes: 0 no failing rule at or above --fail-on; 2 usage or input error;
3 rules failed or could not be evaluated (status error) at or above
--fail-on (default: info, i.e. any; "none" never fails); 1 internal error.`

func newScanCmd(env *Env) *cobra.Command {
	f := &scanFlags{}
	cmd := &cobra.Command{
		Use:   "scan [--root DIR | --image FILE] [flags]",
		Short: "Evaluate a host, root filesystem or image against a hardening baseline",
		Long:  scanLong,
		Example: `  cradle scan                                 # this host, default profile
  cradle scan --root /srv/rootfs --profile strict
  cradle scan --image app.tar --profile product --format sarif -o app.sarif
  cradle scan --waivers waivers.yaml --fail-on high`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScan(cmd, env, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.root, "root", "", "scan the offline root filesystem at `DIR`")
	fl.StringVar(&f.image, "image", "", "scan the container image archive `FILE` (docker save tar or OCI layout)")
	fl.StringVarP(&f.profile, "profile", "p", "", "profile to evaluate: default, strict or product (default \"default\")")
	fl.StringVar(&f.tailoring, "tailoring", "", "tailoring `FILE` (select/unselect rules, parameters)")
	fl.StringVar(&f.waivers, "waivers", "", "waiver `FILE` (accepted failures with justification and expiry)")
	fl.StringVarP(&f.format, "format", "f", "table", "output format: table, json, sarif, junit or html")
	fl.StringVarP(&f.output, "output", "o", "", "write the report to `FILE` (atomically) instead of stdout")
	fl.StringVar(&f.failOn, "fail-on", "info", "exit 3 when a rule fails or errors at or above `SEVERITY` (info, low, medium, high, critical, none)")
	fl.StringSliceVar(&f.rules, "rule", nil, "evaluate only rule `ID` (repeatable)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "table format: list passing and not applicable rules too")
	fl.BoolVar(&f.noColor, "no-color", false, "never colour the table output")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress on standard error")
	f.imageLimits.register(cmd)
	return cmd
}

// loadCatalog builds the registry and the embedded baseline.
func loadCatalog() (*engine.Engine, error) { return catalog.Load(Version) }

// loadSelection loads the catalogue and the rule selection every
// scanning command shares: profile, tailoring, waivers and --rule.
func loadSelection(profile, tailoring, waivers string, ids []string) (*engine.Engine, engine.Options, error) {
	eng, err := loadCatalog()
	if err != nil {
		return nil, engine.Options{}, err
	}
	opts := engine.Options{Profile: profile, RuleIDs: ids}
	if tailoring != "" {
		b, err := readInput(tailoring, rules.MaxFileSize)
		if err != nil {
			return nil, opts, err
		}
		if opts.Tailoring, err = tailor.ParseTailoring(tailoring, b); err != nil {
			return nil, opts, inputErr(err)
		}
	}
	if waivers != "" {
		b, err := readInput(waivers, rules.MaxFileSize)
		if err != nil {
			return nil, opts, err
		}
		if opts.Waivers, err = tailor.ParseWaivers(waivers, b); err != nil {
			return nil, opts, inputErr(err)
		}
	}
	opts.Profile = eng.ResolveProfile(opts)
	return eng, opts, nil
}

func runScan(cmd *cobra.Command, env *Env, f *scanFlags) error {
	if f.root != "" && f.image != "" {
		return usageErr("--root and --image are mutually exclusive")
	}
	var failOn result.Severity
	if f.failOn != "none" {
		s, err := result.ParseSeverity(f.failOn)
		if err != nil {
			return usageErr("--fail-on: %v", err)
		}
		failOn = s
	}
	renderers := render.Default()
	rnd, err := renderers.Lookup(f.format)
	if err != nil {
		return usageErr("--format: %v", err)
	}
	eng, opts, err := loadSelection(f.profile, f.tailoring, f.waivers, f.rules)
	if err != nil {
		return err
	}
	plan, err := eng.Plan(opts)
	if err != nil {
		return inputErr(err)
	}
	t, err := openTarget(cmd.Context(), f)
	if err != nil {
		return err
	}
	defer t.Close()

	progress := newProgress(env, f.quiet)
	opts.Progress = progress.update
	rep, err := eng.Scan(cmd.Context(), t, plan, opts)
	progress.done()
	if err != nil {
		return err
	}
	color := f.output == "" && !f.noColor && env.tty(env.Stdout) && env.getenv("NO_COLOR") == ""
	var buf bytes.Buffer
	if err := rnd.Render(&buf, rep, render.Options{Color: color, Verbose: f.verbose}); err != nil {
		return fmt.Errorf("render %s: %w", f.format, err)
	}
	if f.output != "" {
		if err := fileutil.WriteAtomic(f.output, buf.Bytes(), 0o644); err != nil {
			return inputErr(err)
		}
	} else if _, err := env.Stdout.Write(buf.Bytes()); err != nil {
		return err
	}
	if failOn > 0 {
		// An error is a rule that could not be evaluated: as far as a gate
		// knows it may be failing, so it counts like a failure.
		fails, errs := 0, 0
		for _, r := range rep.Results {
			if r.Severity < failOn {
				continue
			}
			switch r.Status {
			case result.Fail:
				fails++
			case result.Error:
				errs++
			}
		}
		if fails+errs > 0 {
			msg := fmt.Sprintf("%d rule(s) failed", fails)
			if errs > 0 {
				msg += fmt.Sprintf(" and %d could not be evaluated", errs)
			}
			return findingsErr("%s at or above severity %s", msg, failOn)
		}
	}
	return nil
}

func openTarget(ctx context.Context, f *scanFlags) (target.Target, error) {
	switch {
	case f.root != "":
		t, err := target.OpenRootFS(f.root)
		if err != nil {
			return nil, inputErr(err)
		}
		return t, nil
	case f.image != "":
		opts, err := f.imageLimits.options()
		if err != nil {
			return nil, err
		}
		t, err := target.OpenImage(ctx, f.image, opts)
		if err != nil {
			return nil, inputErr(err)
		}
		return t, nil
	}
	return target.OpenHost()
}

// progress prints "rules done/total" on a terminal's stderr, at most a few
// times a second.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	enabled bool
	last    time.Time
	shown   bool
}

func newProgress(env *Env, quiet bool) *progress {
	return &progress{w: env.Stderr, enabled: !quiet && env.tty(env.Stderr)}
}

func (p *progress) update(done, total int) {
	if !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 100*time.Millisecond && done != total {
		return
	}
	p.last = time.Now()
	p.shown = true
	fmt.Fprintf(p.w, "\rscanning: %d/%d rules", done, total)
}

func (p *progress) done() {
	if p.enabled && p.shown {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", 40)+"\r")
	}
}

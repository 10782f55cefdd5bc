package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/drift"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/fileutil"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/rules"
	"github.com/cradle-cra/cradle/internal/signing"
	"github.com/cradle-cra/cradle/internal/tailor"
)

// targetFlags select the target of baseline, drift and watch.
type targetFlags struct {
	root, image string
	quiet       bool
	imageLimits imageLimitFlags
}

func (tf *targetFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&tf.root, "root", "", "the offline root filesystem at `DIR`")
	fl.StringVar(&tf.image, "image", "", "the container image archive `FILE` (docker save tar or OCI layout)")
	fl.BoolVarP(&tf.quiet, "quiet", "q", false, "no progress on standard error")
	tf.imageLimits.register(cmd)
}

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
	profile, tailoring, waivers string
	rules                       []string
	changeRef, actor, reason    string
	key                         string
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
log; 1 internal error.`,
		Example: `  cradle baseline approve --change-ref CHG-1234 --reason "post-install hardening" --actor jdoe
  cradle baseline approve --root /srv/rootfs --profile strict --tailoring site.yaml`,
		Args: wrapArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error { return runApprove(cmd.Context(), env, f) },
	}
	f.register(approve)
	fl := approve.Flags()
	fl.StringVarP(&f.profile, "profile", "p", "", "profile to approve: default, strict or product (default \"default\")")
	fl.StringVar(&f.tailoring, "tailoring", "", "tailoring `FILE` (select/unselect rules, parameters); stored in the snapshot")
	fl.StringVar(&f.waivers, "waivers", "", "waiver `FILE`; stored in the snapshot")
	fl.StringSliceVar(&f.rules, "rule", nil, "approve only rule `ID` (repeatable)")
	fl.StringVar(&f.changeRef, "change-ref", "", "change request or ticket `REF` authorising this state")
	fl.StringVar(&f.actor, "actor", "", "who approves, if not the OS user (person or system `NAME`)")
	fl.StringVar(&f.reason, "reason", "", "why this state is approved")
	fl.StringVar(&f.key, "key", "", "sign with the private key `FILE` (PEM PKCS#8 ed25519; default $"+signing.EnvKey+" or the generated key)")
	cmd.AddCommand(approve)
	return cmd
}

// snapshotDir is $CRADLE_HOME/snapshots/<target key>.
func snapshotDir(env *Env, identity string) (string, error) {
	dir, err := stateDir(env)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "snapshots", changelog.TargetKey(identity)), nil
}

// recordedScan scans the target with the options o through a recorder and
// captures the snapshot of the result over the recorded paths plus extra.
func recordedScan(ctx context.Context, env *Env, tf *targetFlags, o drift.Options, extra []drift.Recorded) (*drift.Snapshot, *result.Report, error) {
	eng, err := loadCatalog()
	if err != nil {
		return nil, nil, err
	}
	opts := engine.Options{Profile: o.Profile, RuleIDs: o.Rules}
	if in := o.Tailoring; in != nil {
		if opts.Tailoring, err = tailor.ParseTailoring(in.Name, []byte(in.Content)); err != nil {
			return nil, nil, inputErr(err)
		}
	}
	if in := o.Waivers; in != nil {
		if opts.Waivers, err = tailor.ParseWaivers(in.Name, []byte(in.Content)); err != nil {
			return nil, nil, inputErr(err)
		}
	}
	opts.Profile = eng.ResolveProfile(opts)
	plan, err := eng.Plan(opts)
	if err != nil {
		return nil, nil, inputErr(err)
	}
	t, err := openTarget(ctx, &scanFlags{root: tf.root, image: tf.image, imageLimits: tf.imageLimits})
	if err != nil {
		return nil, nil, err
	}
	defer t.Close()
	rec := drift.Record(t)
	progress := newProgress(env, tf.quiet)
	opts.Progress = progress.update
	rep, err := eng.Scan(ctx, rec, plan, opts)
	progress.done()
	if err != nil {
		return nil, nil, err
	}
	snap, err := drift.Capture(ctx, t, append(rec.Paths(), extra...), rep)
	if err != nil {
		return nil, nil, err
	}
	snap.Options = o
	snap.Options.Profile = opts.Profile
	return snap, rep, nil
}

func readDriftInput(path string) (*drift.Input, error) {
	if path == "" {
		return nil, nil
	}
	b, err := readInput(path, rules.MaxFileSize)
	if err != nil {
		return nil, err
	}
	return &drift.Input{Name: path, Content: string(b)}, nil
}

func runApprove(ctx context.Context, env *Env, f *approveFlags) error {
	if f.root != "" && f.image != "" {
		return usageErr("--root and --image are mutually exclusive")
	}
	identity, err := changelog.TargetIdentity(f.root, f.image)
	if err != nil {
		return usageErr("%v", err)
	}
	// The log holds the signing key; open it first so that a policy
	// refusal comes before the scan.
	l, err := openChangeLog(env, f.root, f.image, f.key)
	if err != nil {
		return err
	}
	if l.RequireChangeRef && f.changeRef == "" {
		return appendErr(changelog.ErrChangeRefRequired)
	}
	o := drift.Options{Profile: f.profile, Rules: f.rules}
	if o.Tailoring, err = readDriftInput(f.tailoring); err != nil {
		return err
	}
	if o.Waivers, err = readDriftInput(f.waivers); err != nil {
		return err
	}
	snap, _, err := recordedScan(ctx, env, &f.targetFlags, o, nil)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if o.Waivers != nil {
		w, err := tailor.ParseWaivers(o.Waivers.Name, []byte(o.Waivers.Content))
		if err != nil {
			return inputErr(err)
		}
		if err := recordWaiverChanges(ctx, env, l, w, f.changeRef, f.actor, now); err != nil {
			return fmt.Errorf("record waiver changes: %w", appendErr(err))
		}
	}
	snap.Target, snap.ApprovedAt = identity, now
	snap.Approval = drift.Approval{Actor: f.actor, OSUser: changelog.CurrentUser().Name, ChangeRef: f.changeRef, Reason: f.reason}
	data, digest, err := drift.Sign(snap, l.Signer)
	if err != nil {
		return err
	}
	dir, err := snapshotDir(env, identity)
	if err != nil {
		return err
	}
	prevDigest := ""
	if prev, d, err := drift.Load(dir, l.Keys, identity); err == nil && prev != nil {
		prevDigest = d
	}
	prev, err := drift.Store(dir, data, now)
	if err != nil {
		return err
	}
	details, _ := json.Marshal(map[string]any{
		"profile": snap.Options.Profile, "rules": len(snap.Rules), "files": len(snap.Files),
		"summary": snap.Summary, "snapshot": filepath.Join(dir, drift.ApprovedFile),
	})
	entry := changelog.Entry{
		Action: changelog.ActionApprove, Rules: f.rules, ChangeRef: f.changeRef, Reason: f.reason,
		Actor: changelog.Actor{Actor: f.actor}, After: map[string]string{"snapshot": digest}, Details: details,
	}
	if prevDigest != "" {
		entry.Before = map[string]string{"snapshot": prevDigest}
	}
	e, err := l.Append(ctx, entry)
	if err != nil {
		// An approval the log does not show is not an approval.
		if rerr := drift.Restore(dir, prev); rerr != nil {
			return errors.Join(appendErr(err), fmt.Errorf("restore the previous snapshot: %w", rerr))
		}
		return appendErr(err)
	}
	fmt.Fprintf(env.Stdout, "approved %s: %d rules (%d pass, %d fail, %d not applicable, %d error, %d waived), %d paths\n",
		identity, len(snap.Rules), snap.Summary["pass"], snap.Summary["fail"], snap.Summary["not_applicable"],
		snap.Summary["error"], snap.Summary["waived"], len(snap.Files))
	fmt.Fprintf(env.Stdout, "snapshot %s (%s), change log entry %d\n", filepath.Join(dir, drift.ApprovedFile), digest, e.Seq)
	if snap.FilesTruncated {
		fmt.Fprintf(env.Stderr, "cradle: warning: more than %d paths; the rest are not in the snapshot\n", drift.MaxFiles)
	}
	return nil
}

// evaluation is one drift evaluation against the approved snapshot.
type evaluation struct {
	identity string
	dir      string
	snap     *drift.Snapshot
	digest   string
	state    *drift.State
	items    []drift.Item
	gone     []drift.StateItem
	checked  time.Time
	// unlock releases the drift state, locked from its load until the
	// caller has saved it, so drift and watch on one target do not lose
	// each other's first-seen times.
	unlock func()
}

// loadApproved loads and verifies the target's approved snapshot: exit 2
// when there is none, 3 when it does not verify.
func loadApproved(env *Env, tf *targetFlags) (*drift.Snapshot, string, string, string, error) {
	if tf.root != "" && tf.image != "" {
		return nil, "", "", "", usageErr("--root and --image are mutually exclusive")
	}
	identity, err := changelog.TargetIdentity(tf.root, tf.image)
	if err != nil {
		return nil, "", "", "", usageErr("%v", err)
	}
	home, err := stateDir(env)
	if err != nil {
		return nil, "", "", "", err
	}
	dir := filepath.Join(home, "snapshots", changelog.TargetKey(identity))
	keys, err := signing.LoadKeyring(filepath.Join(home, "keys"))
	if err != nil {
		return nil, "", "", "", inputErr(err)
	}
	snap, digest, err := drift.Load(dir, keys, identity)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, "", "", "", usageErr("no approved snapshot for %s (run \"cradle baseline approve\" first)", identity)
	case errors.Is(err, drift.ErrTampered):
		return nil, "", "", "", &ExitError{Code: ExitFindings, Err: err}
	case err != nil:
		return nil, "", "", "", inputErr(err)
	}
	return snap, digest, identity, dir, nil
}

// evaluate rescans with the snapshot's selection and compares. The state
// is updated in memory; the caller saves it.
func evaluate(ctx context.Context, env *Env, tf *targetFlags) (*evaluation, error) {
	snap, digest, identity, dir, err := loadApproved(env, tf)
	if err != nil {
		return nil, err
	}
	cur, _, err := recordedScan(ctx, env, tf, snap.Options, snap.Paths())
	if err != nil {
		return nil, err
	}
	ev := &evaluation{identity: identity, dir: dir, snap: snap, digest: digest, checked: time.Now().UTC()}
	ev.items = drift.Compare(snap, cur)
	if ev.unlock, err = fileutil.Lock(ctx, filepath.Join(dir, drift.StateFile+".lock")); err != nil {
		return nil, fmt.Errorf("lock drift state: %w", err)
	}
	state, werr := drift.LoadState(dir, digest)
	if werr != nil {
		fmt.Fprintf(env.Stderr, "cradle: warning: %v\n", werr)
	}
	ev.state = state
	ev.gone = state.Update(ev.items, ev.checked)
	return ev, nil
}

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
input error; 1 internal error.`

type driftFlags struct {
	targetFlags
	format, output string
}

func newDriftCmd(env *Env) *cobra.Command {
	f := &driftFlags{}
	cmd := &cobra.Command{
		Use:   "drift [--root DIR | --image FILE] [--format table|json] [-o FILE]",
		Short: "Report changes since the approved baseline snapshot",
		Long:  driftLong,
		Example: `  cradle drift
  cradle drift --root /srv/rootfs --format json -o drift.json`,
		RunE: func(cmd *cobra.Command, args []string) error { return runDrift(cmd.Context(), env, f) },
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&f.format, "format", "f", "table", "output format: table or json")
	cmd.Flags().StringVarP(&f.output, "output", "o", "", "write the report to `FILE` (atomically) instead of stdout")
	return cmd
}

// driftReport is the JSON form of a drift evaluation.
type driftReport struct {
	Target     string       `json:"target"`
	TargetName string       `json:"target_name"`
	Profile    string       `json:"profile"`
	ApprovedAt time.Time    `json:"approved_at"`
	Approval   any          `json:"approval"`
	Snapshot   string       `json:"snapshot"`
	CheckedAt  time.Time    `json:"checked_at"`
	Items      []drift.Item `json:"items"`
}

func runDrift(ctx context.Context, env *Env, f *driftFlags) error {
	if f.format != "table" && f.format != "json" {
		return usageErr("--format: unknown format %q (table, json)", f.format)
	}
	ev, err := evaluate(ctx, env, &f.targetFlags)
	if err != nil {
		return err
	}
	if err := ev.state.Save(ev.dir); err != nil {
		fmt.Fprintf(env.Stderr, "cradle: warning: %v\n", err)
	}
	ev.unlock()
	var buf bytes.Buffer
	if f.format == "json" {
		rep := driftReport{Target: ev.identity, TargetName: ev.snap.TargetName, Profile: ev.snap.Options.Profile,
			ApprovedAt: ev.snap.ApprovedAt, Approval: ev.snap.Approval, Snapshot: ev.digest, CheckedAt: ev.checked, Items: ev.items}
		if rep.Items == nil {
			rep.Items = []drift.Item{}
		}
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		writeDriftTable(&buf, ev)
	}
	if f.output != "" {
		if err := fileutil.WriteAtomic(f.output, buf.Bytes(), 0o644); err != nil {
			return inputErr(err)
		}
	} else if _, err := env.Stdout.Write(buf.Bytes()); err != nil {
		return err
	}
	if len(ev.items) > 0 {
		return findingsErr("%d difference(s) from the snapshot approved at %s", len(ev.items), ev.snap.ApprovedAt.Format(time.RFC3339))
	}
	return nil
}

func writeDriftTable(w io.Writer, ev *evaluation) {
	a := ev.snap.Approval
	by := a.Actor
	if by == "" {
		by = a.OSUser
	}
	fmt.Fprintf(w, "target %s, approved %s", ev.identity, ev.snap.ApprovedAt.Format("2006-01-02 15:04:05Z"))
	if by != "" {
		fmt.Fprintf(w, " by %s", cell(by))
	}
	if a.ChangeRef != "" {
		fmt.Fprintf(w, " (%s)", cell(a.ChangeRef))
	}
	fmt.Fprintln(w)
	if len(ev.items) == 0 {
		fmt.Fprintln(w, "no drift")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIRST SEEN\tKIND\tCHANGE\tSUBJECT\tBEFORE\tAFTER")
	for _, it := range ev.items {
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
	tw.Flush()
	fmt.Fprintf(w, "\n%d difference(s); exact values: --format json\n", len(ev.items))
}

const watchLong = `Watch a target for drift from its approved baseline snapshot: evaluate as
"cradle drift" does, every --interval and whenever a file the snapshot
covers changes (inotify on Linux, debounced; the interval only elsewhere),
and emit one JSON line per event to standard output or -o FILE (appended):
  {"event":"drift", "time":…, "target":…, <item fields as in cradle drift>}
      for each difference seen for the first time;
  {"event":"resolved", …} when an announced difference is gone;
  {"event":"error", "error":…} when an evaluation fails (for instance the
      snapshot no longer verifies).
Events also go to --webhook (HTTP POST of the JSON, 10 s timeout, bounded
retries, queued so the loop never waits for it) and --syslog (RFC 5424 to
/dev/log, facility auth, MSGID = event).

Resource bounds: the process lowers its CPU priority (--nice, default 10)
and I/O priority (--ioprio idle) on Linux, and never rescans more often than
--min-interval however often files change. SIGINT/SIGTERM stop it cleanly.
--once evaluates once and exits.

Exit codes: 0 stopped (or --once done); 2 no approved snapshot at start,
usage error; 3 the snapshot does not verify at start; 1 internal error.`

type watchFlags struct {
	targetFlags
	interval, minInterval time.Duration
	nice                  int
	ioprio                string
	webhook               string
	syslog                bool
	syslogSocket          string
	once                  bool
	output                string
}

func newWatchCmd(env *Env) *cobra.Command {
	f := &watchFlags{}
	cmd := &cobra.Command{
		Use:   "watch [--root DIR | --image FILE] [--interval 5m] [--webhook URL] [--syslog] [--once] [-o FILE]",
		Short: "Continuously report drift from the approved baseline as JSON events",
		Long:  watchLong,
		Example: `  cradle watch --webhook https://alerts.example/cradle --syslog
  cradle watch --root /srv/rootfs --interval 1h -o /var/log/cradle-drift.jsonl
  cradle watch --once`,
		RunE: func(cmd *cobra.Command, args []string) error { return runWatch(cmd.Context(), env, f) },
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.DurationVar(&f.interval, "interval", 5*time.Minute, "evaluate at least every `DURATION`")
	fl.DurationVar(&f.minInterval, "min-interval", 30*time.Second, "never evaluate more often than every `DURATION`")
	fl.IntVar(&f.nice, "nice", 10, "CPU nice level to run at (0 leaves it; Linux)")
	fl.StringVar(&f.ioprio, "ioprio", "idle", "I/O priority class: idle, best-effort or none (Linux)")
	fl.StringVar(&f.webhook, "webhook", "", "POST each event as JSON to `URL`")
	fl.BoolVar(&f.syslog, "syslog", false, "send each event to the local syslog (RFC 5424 over /dev/log)")
	fl.StringVar(&f.syslogSocket, "syslog-socket", drift.DefaultSyslogSocket, "syslog unix socket `PATH`")
	fl.BoolVar(&f.once, "once", false, "evaluate once, emit the events and exit")
	fl.StringVarP(&f.output, "output", "o", "", "append events to `FILE` instead of stdout")
	return cmd
}

// emitter fans events out to the line writer, the webhook and syslog.
type emitter struct {
	mu      sync.Mutex
	w       io.Writer
	webhook *drift.Webhook
	syslog  *drift.Syslog
	warn    func(error)
}

func (e *emitter) emit(ev drift.Event) {
	b, err := json.Marshal(ev)
	if err != nil {
		e.warn(err)
		return
	}
	e.mu.Lock()
	_, err = e.w.Write(append(b, '\n'))
	e.mu.Unlock()
	if err != nil {
		e.warn(fmt.Errorf("write event: %w", err))
	}
	if e.webhook != nil {
		e.webhook.Send(ev)
	}
	if e.syslog != nil {
		if err := e.syslog.Send(ev); err != nil {
			e.warn(err)
		}
	}
}

func runWatch(ctx context.Context, env *Env, f *watchFlags) error {
	switch {
	case f.interval <= 0:
		return usageErr("--interval must be positive")
	case f.minInterval < 0:
		return usageErr("--min-interval must not be negative")
	case f.interval < f.minInterval:
		return usageErr("--interval %s is shorter than --min-interval %s", f.interval, f.minInterval)
	case f.nice < 0 || f.nice > 19:
		return usageErr("--nice must be between 0 and 19")
	case f.ioprio != "idle" && f.ioprio != "best-effort" && f.ioprio != "none":
		return usageErr("--ioprio: unknown class %q (idle, best-effort, none)", f.ioprio)
	}
	var warnMu sync.Mutex
	warn := func(err error) {
		warnMu.Lock()
		fmt.Fprintf(env.Stderr, "cradle: warning: %v\n", err)
		warnMu.Unlock()
	}
	if err := drift.LowerPriority(f.nice, f.ioprio); err != nil {
		warn(err)
	}
	em := &emitter{w: env.Stdout, warn: warn}
	if f.output != "" {
		fh, err := os.OpenFile(f.output, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return inputErr(err)
		}
		defer fh.Close()
		em.w = fh
	}
	if f.syslog {
		s, err := drift.DialSyslog(f.syslogSocket)
		if err != nil {
			return inputErr(err)
		}
		defer s.Close()
		em.syslog = s
	}
	if f.webhook != "" {
		if !strings.HasPrefix(f.webhook, "http://") && !strings.HasPrefix(f.webhook, "https://") {
			return usageErr("--webhook: want an http:// or https:// URL, got %q", f.webhook)
		}
		em.webhook = drift.NewWebhook(f.webhook, warn)
		defer func() {
			// Queued events get a bounded chance to go out.
			cctx, cancel := context.WithTimeout(context.Background(), 2*drift.WebhookTimeout)
			defer cancel()
			em.webhook.Close(cctx)
		}()
	}
	identity, _ := changelog.TargetIdentity(f.root, f.image)
	lastErr := ""
	evaluateOnce := func(ctx context.Context) (*evaluation, error) {
		ev, err := evaluate(ctx, env, &f.targetFlags)
		if err != nil {
			if ctx.Err() == nil && err.Error() != lastErr {
				lastErr = err.Error()
				em.emit(drift.Event{Event: drift.EventError, Time: time.Now().UTC(), Target: identity, Error: err.Error()})
			}
			return nil, err
		}
		lastErr = ""
		for _, g := range ev.gone {
			if g.Notified {
				it := g.Item
				em.emit(drift.Event{Event: drift.EventResolved, Time: ev.checked, Target: identity, Item: &it})
			}
		}
		for _, it := range ev.state.Unnotified(ev.items) {
			em.emit(drift.Event{Event: drift.EventDrift, Time: ev.checked, Target: identity, Item: &it})
		}
		if err := ev.state.Save(ev.dir); err != nil {
			warn(err)
		}
		ev.unlock()
		return ev, nil
	}
	// The first evaluation decides whether watching makes sense at all: no
	// snapshot or a tampered one ends the command with its exit code.
	first, err := evaluateOnce(ctx)
	if err != nil || f.once {
		return err
	}
	dirsFor := func(snap *drift.Snapshot) []drift.WatchDir {
		switch {
		case f.root != "":
			return drift.WatchDirs(strings.TrimPrefix(identity, "root:"), snap)
		case f.image != "":
			p := strings.TrimPrefix(identity, "image:")
			return []drift.WatchDir{{Dir: filepath.Dir(p), Names: []string{filepath.Base(p)}}}
		}
		return drift.WatchDirs("/", snap)
	}
	started := false
	latest, watchedDigest := first, first.digest
	return drift.Watch(ctx, drift.WatchOptions{
		Interval: f.interval, MinInterval: f.minInterval, Dirs: dirsFor(first.snap), Warn: warn,
		// A re-approval can make the rules read other files: watch those.
		Refresh: func() []drift.WatchDir {
			if latest.digest == watchedDigest {
				return nil
			}
			watchedDigest = latest.digest
			return dirsFor(latest.snap)
		},
		Evaluate: func(ctx context.Context) error {
			if !started { // Watch evaluates immediately; that was done above
				started = true
				return nil
			}
			ev, err := evaluateOnce(ctx)
			if ev != nil {
				latest = ev
			}
			return err
		},
	})
}
